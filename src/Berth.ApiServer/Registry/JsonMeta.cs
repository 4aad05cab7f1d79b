using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Registry;

/// <summary>Small helpers over an object's JSON tree (metadata fields the registry owns).</summary>
internal static class JsonMeta
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    public static string? String(JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    /// <summary>metav1.Time: RFC 3339 at whole seconds, UTC.</summary>
    public static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static List<string> Finalizers(JsonObject meta) =>
        meta["finalizers"] is JsonArray a ? a.Select(n => n?.GetValue<string>() ?? "").ToList() : [];

    public static void SetFinalizers(JsonObject meta, List<string> finalizers)
    {
        if (finalizers.Count == 0)
        {
            meta.Remove("finalizers");
        }
        else
        {
            meta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        }
    }

    /// <summary>The object minus metadata and status: what a generation bump compares (upstream bumps on spec
    /// changes; for kinds without a spec, on any change to their data).</summary>
    public static bool SameDesiredState(JsonObject a, JsonObject b)
    {
        foreach (var (name, value) in a)
        {
            if (name is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(value, b[name]))
            {
                return false;
            }
        }

        foreach (var (name, value) in b)
        {
            if (name is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!a.ContainsKey(name) && value is not null)
            {
                return false;
            }
        }

        return true;
    }
}
