using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Serialization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Berth.Cli.Up;

/// <summary>
/// Merges Berth's kubeconfig (cluster, user and context all named <c>berth</c>) into another kubeconfig, the way
/// kind and k3d add theirs: entries named <c>berth</c> are replaced, everything else is kept, and the current
/// context becomes <c>berth</c>.
/// </summary>
internal static partial class KubeconfigMerge
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
        return (ToYaml(target), previous);
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

    /// <summary>
    /// Writes the tree as YAML through YamlDotNet's emitter (its object serializer is reflection-based, which Native AOT
    /// cannot compile). Strings that would read back as another type (true, 1.5, null, empty) are double-quoted, as
    /// the serializer's WithQuotingNecessaryStrings did; everything else is plain.
    /// </summary>
    internal static string ToYaml(JsonNode node)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, node);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in o)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray a:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in a)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, v.GetValue<string>());
                break;
            case JsonValue v:
                // Numbers and booleans keep their JSON text, which is also their YAML text.
                emitter.Emit(new Scalar(null, null, v.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            default:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        var style = NeedsQuotes(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, value, style, isPlainImplicit: true, isQuotedImplicit: true));
    }

    // YAML 1.1/1.2 scalars a plain string would be resolved as: null, booleans, numbers (kubectl's YAML reader,
    // sigs.k8s.io/yaml, follows YAML 1.1, where yes/no/on/off are booleans too).
    private static bool NeedsQuotes(string value) =>
        value.Length == 0 || value.Trim() != value || NonStringPlain().IsMatch(value);

    [GeneratedRegex(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex NonStringPlain();
}
