using System.Globalization;
using System.Text.Json;

namespace Berth.ApiServer.Tables;

/// <summary>
/// Reading fields out of a stored object for table cells, with upstream printers' placeholders. Paths are spans, so
/// the thousands of lookups a list's Table makes allocate no arrays.
/// </summary>
internal static class Cells
{
    public const string None = "<none>";

    public static JsonElement? Get(JsonElement e, params ReadOnlySpan<string> path)
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

    public static string Str(JsonElement e, params ReadOnlySpan<string> path) =>
        Get(e, path) is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";

    public static string StrOr(JsonElement e, string fallback, params ReadOnlySpan<string> path) =>
        Str(e, path) is { Length: > 0 } s ? s : fallback;

    public static long Long(JsonElement e, params ReadOnlySpan<string> path) =>
        Get(e, path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : 0;

    public static IEnumerable<JsonElement> Array(JsonElement e, params ReadOnlySpan<string> path) =>
        Get(e, path) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    /// <summary>The length of the array at <paramref name="path"/>, 0 when there is none.</summary>
    public static int Length(JsonElement e, params ReadOnlySpan<string> path) =>
        Get(e, path) is { ValueKind: JsonValueKind.Array } a ? a.GetArrayLength() : 0;

    public static string Name(JsonElement e) => Str(e, "metadata", "name");

    /// <summary>upstream translateTimestampSince.</summary>
    public static string Since(JsonElement e, DateTimeOffset now, params ReadOnlySpan<string> path) =>
        Time(e, path) is { } t ? HumanDuration.Format(now - t) : "<unknown>";

    /// <summary>
    /// A metav1.Time (RFC 3339) read straight from its UTF-8 bytes; other spellings a client stored go through the
    /// general parser, assumed UTC as before.
    /// </summary>
    public static DateTimeOffset? Time(JsonElement e, params ReadOnlySpan<string> path)
    {
        if (Get(e, path) is not { ValueKind: JsonValueKind.String } v)
        {
            return null;
        }

        if (v.TryGetDateTimeOffset(out var t))
        {
            return t;
        }

        return DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t) ? t : null;
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
    public static string AccessModes(JsonElement e, params ReadOnlySpan<string> path)
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
