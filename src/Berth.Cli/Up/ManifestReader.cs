using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Core;
using Berth.Serialization;

namespace Berth.Cli.Up;

/// <summary>
/// Reads what <c>berth up</c> applies: files, directories (their .yaml, .yml and .json files, not recursive, as
/// <c>kubectl apply -f DIR</c>), <c>-</c> for stdin, and kustomizations rendered by <c>kubectl kustomize</c>.
/// Multi-document YAML and v1 Lists are split into objects; each must be a resource Berth serves.
/// </summary>
internal static class ManifestReader
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static async Task<List<Manifest>> ReadAsync(IReadOnlyList<string> files, IReadOnlyList<string> kustomizations, string defaultNamespace,
        CancellationToken cancellationToken)
    {
        var sources = new List<(string Source, string Text)>();
        foreach (var f in files)
        {
            if (f == "-")
            {
                sources.Add(("STDIN", await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)));
            }
            else if (f.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || f.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw new ManifestException($"{f}: berth up reads local files only; download it first");
            }
            else if (Directory.Exists(f))
            {
                var inDir = Directory.GetFiles(f).Where(p => Extensions.Contains(Path.GetExtension(p), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).ToList();
                if (inDir.Count == 0)
                {
                    throw new ManifestException($"error reading {f}: no .yaml, .yml or .json files in it");
                }

                foreach (var p in inDir)
                {
                    sources.Add((p, await File.ReadAllTextAsync(p, cancellationToken).ConfigureAwait(false)));
                }
            }
            else if (File.Exists(f))
            {
                sources.Add((f, await File.ReadAllTextAsync(f, cancellationToken).ConfigureAwait(false)));
            }
            else
            {
                // kubectl's wording for a missing -f path.
                throw new ManifestException($"the path \"{f}\" does not exist");
            }
        }

        foreach (var dir in kustomizations)
        {
            sources.Add((dir, await KustomizeAsync(dir, cancellationToken).ConfigureAwait(false)));
        }

        var result = new List<Manifest>();
        foreach (var (source, text) in sources)
        {
            IReadOnlyList<JsonNode> docs;
            try
            {
                docs = YamlToJson.ConvertAll(text);
            }
            catch (YamlConversionException e)
            {
                throw new ManifestException($"error parsing {source}: {e.Message}");
            }

            foreach (var doc in docs)
            {
                Expand(doc, source, defaultNamespace, result);
            }
        }

        if (result.Count == 0)
        {
            throw new ManifestException("no objects passed to apply");
        }

        // Namespaces first, so objects in a namespace the same manifests create can be applied in one go.
        return [.. result.OrderBy(m => m.Resource.Kind == "Namespace" ? 0 : 1)];
    }

    public static Manifest Parse(JsonNode? doc, string source, string defaultNamespace)
    {
        if (doc is not JsonObject obj)
        {
            throw new ManifestException($"error validating \"{source}\": the document is not an object");
        }

        var apiVersion = (obj["apiVersion"] as JsonValue)?.TryGetValue<string>(out var av) == true ? av : null;
        var kind = (obj["kind"] as JsonValue)?.TryGetValue<string>(out var k) == true ? k : null;
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            var missing = new List<string>();
            if (string.IsNullOrEmpty(apiVersion))
            {
                missing.Add("apiVersion not set");
            }

            if (string.IsNullOrEmpty(kind))
            {
                missing.Add("kind not set");
            }

            // kubectl's client-side check, same words.
            throw new ManifestException($"error validating \"{source}\": error validating data: [{string.Join(", ", missing)}]");
        }

        var metadata = obj["metadata"] as JsonObject;
        var name = (metadata?["name"] as JsonValue)?.TryGetValue<string>(out var n) == true ? n : null;
        var resource = ResourceCatalog.FindByKind(apiVersion, kind)
            ?? throw new ManifestException(
                $"resource mapping not found for name: \"{name}\" namespace: \"{Namespace(metadata)}\" from \"{source}\": "
                + $"no matches for kind \"{kind}\" in version \"{apiVersion}\" (Berth serves: {Served()})");
        if (string.IsNullOrEmpty(name))
        {
            throw new ManifestException($"error from {source}: {kind}: metadata.name is required (generateName is not supported by apply)");
        }

        string? ns = null;
        if (resource.Namespaced)
        {
            ns = Namespace(metadata) ?? defaultNamespace;
            metadata!["namespace"] = ns;
        }

        return new Manifest(obj, source, resource, ns, name);
    }

    private static void Expand(JsonNode doc, string source, string defaultNamespace, List<Manifest> result)
    {
        // kubectl accepts a v1 List (and any *List kind with items) and applies its items.
        if (doc is JsonObject list && list["items"] is JsonArray items
            && (list["kind"] as JsonValue)?.TryGetValue<string>(out var kind) == true && kind.EndsWith("List", StringComparison.Ordinal))
        {
            foreach (var item in items)
            {
                result.Add(Parse(item?.DeepClone(), source, defaultNamespace));
            }

            return;
        }

        result.Add(Parse(doc, source, defaultNamespace));
    }

    private static string? Namespace(JsonObject? metadata) =>
        (metadata?["namespace"] as JsonValue)?.TryGetValue<string>(out var ns) == true && ns.Length > 0 ? ns : null;

    private static string Served() => string.Join(", ", ResourceCatalog.All.Select(r => r.Kind).Where(k => k is not ("Event" or "Lease" or "Node")));

    private static async Task<string> KustomizeAsync(string dir, CancellationToken cancellationToken)
    {
        var kubectl = FindOnPath("kubectl")
            ?? throw new ManifestException($"-k {dir}: kustomize needs kubectl on PATH (berth up runs `kubectl kustomize {dir}`); "
                + "install kubectl, or render the manifests elsewhere and pass them with -f");
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(dir);
        using var process = Process.Start(start) ?? throw new ManifestException($"could not run {kubectl}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode == 0
            ? await stdout.ConfigureAwait(false)
            : throw new ManifestException($"kubectl kustomize {dir} failed: {(await stderr.ConfigureAwait(false)).Trim()}");
    }

    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
