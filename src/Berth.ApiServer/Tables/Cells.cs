using System.Globalization;
using System.Text.Json;

namespace Berth.ApiServer.Tables;

/// <summary>Reading fields out of a stored object for table cells, with upstream printers' placeholders.</summary>
internal static class Cells
{
    public const string None = "<none>";

    public static JsonElement? Get(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.Null ? null : e;
    }

    public static string Str(JsonElement e, params string[] path) =>
        Get(e, path) is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";

    public static string StrOr(JsonElement e, string fallback, params string[] path) =>
        Str(e, path) is { Length: > 0 } s ? s : fallback;

    public static long Long(JsonElement e, params string[] path) =>
        Get(e, path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : 0;

    public static IEnumerable<JsonElement> Array(JsonElement e, params string[] path) =>
        Get(e, path) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    public static string Name(JsonElement e) => Str(e, "metadata", "name");

    /// <summary>upstream translateTimestampSince.</summary>
    public static string Since(JsonElement e, DateTimeOffset now, params string[] path)
    {
        var s = Str(e, path);
        return s.Length == 0 || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? "<unknown>"
            : HumanDuration.Format(now - t);
    }

    public static string Age(JsonElement e, DateTimeOffset now) => Since(e, now, "metadata", "creationTimestamp");

    /// <summary>Sorted k=v pairs joined by commas (labels.FormatLabels / selector printing).</summary>
    public static string Pairs(JsonElement? map)
    {
        if (map is not { ValueKind: JsonValueKind.Object } m)
        {
            return None;
        }

        var pairs = m.EnumerateObject().Select(p => p.Name + "=" + (p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()))
            .Order(StringComparer.Ordinal).ToList();
        return pairs.Count == 0 ? None : string.Join(",", pairs);
    }

    /// <summary>upstream helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order.</summary>
    public static string AccessModes(JsonElement e, params string[] path)
    {
        var modes = Array(e, path).Select(m => m.GetString()).ToHashSet();
        var result = new List<string>();
        if (modes.Contains("ReadWriteOnce"))
        {
            result.Add("RWO");
        }

        if (modes.Contains("ReadOnlyMany"))
        {
            result.Add("ROX");
        }

        if (modes.Contains("ReadWriteMany"))
        {
            result.Add("RWX");
        }

        if (modes.Contains("ReadWriteOncePod"))
        {
            result.Add("RWOP");
        }

        return string.Join(",", result);
    }

    public static bool Deleting(JsonElement e) => Get(e, "metadata", "deletionTimestamp") is not null;
}
