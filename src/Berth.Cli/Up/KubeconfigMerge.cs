using System.Text.Json.Nodes;
using Berth.Serialization;
using YamlDotNet.Serialization;

namespace Berth.Cli.Up;

/// <summary>
/// Merges Berth's kubeconfig (cluster, user and context all named <c>berth</c>) into another kubeconfig, the way
/// kind and k3d add theirs: entries named <c>berth</c> are replaced, everything else is kept, and the current
/// context becomes <c>berth</c>.
/// </summary>
internal static class KubeconfigMerge
{
    public const string Name = "berth";

    /// <summary>Returns the merged YAML and the current-context it replaced (null when there was none).</summary>
    public static (string Yaml, string? PreviousContext) Merge(string? existingYaml, string berthYaml)
    {
        var berth = YamlToJson.ConvertSingle(berthYaml) as JsonObject
            ?? throw new InvalidOperationException("Berth's kubeconfig is empty");
        var target = string.IsNullOrWhiteSpace(existingYaml)
            ? new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Config" }
            : YamlToJson.ConvertSingle(existingYaml) as JsonObject ?? new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Config" };
        target["apiVersion"] ??= "v1";
        target["kind"] ??= "Config";
        foreach (var section in (string[])["clusters", "users", "contexts"])
        {
            var entries = target[section] as JsonArray ?? [];
            target[section] = entries;
            for (var i = entries.Count - 1; i >= 0; i--)
            {
                if ((entries[i]?["name"] as JsonValue)?.TryGetValue<string>(out var n) == true && n == Name)
                {
                    entries.RemoveAt(i);
                }
            }

            foreach (var entry in berth[section] as JsonArray ?? [])
            {
                if ((entry?["name"] as JsonValue)?.TryGetValue<string>(out var n) == true && n == Name)
                {
                    entries.Add(entry!.DeepClone());
                }
            }
        }

        var previous = (target["current-context"] as JsonValue)?.TryGetValue<string>(out var c) == true && c.Length > 0 ? c : null;
        target["current-context"] = Name;
        var serializer = new SerializerBuilder().WithQuotingNecessaryStrings().Build();
        return (serializer.Serialize(ToPlain(target)), previous);
    }

    /// <summary>Writes the merged file atomically with mode 0600 (it holds a bearer token), creating its directory.</summary>
    public static string? MergeInto(string path, string berthKubeconfigPath)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : null;
        var (yaml, previous) = Merge(existing, File.ReadAllText(berthKubeconfigPath));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".berth-tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(yaml);
        }

        File.Move(temp, path, overwrite: true);
        return previous;
    }

    /// <summary>The default kubeconfig kubectl reads when KUBECONFIG is unset.</summary>
    public static string DefaultPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".kube", "config");

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => node.ToJsonString(),
    };
}
