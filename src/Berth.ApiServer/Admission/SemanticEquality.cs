using System.Text;
using System.Text.Json.Nodes;
using Berth.Serialization;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Deep copy and upstream-style semantic equality (apiequality.Semantic.DeepEqual) for the KubernetesClient models,
/// whose record Equals is shallow. Both go through our JSON form: quantities serialise canonically, and empty lists
/// are dropped because upstream's forked DeepEqual treats nil and empty slices as equal.
/// </summary>
internal static class SemanticEquality
{
    public static T Clone<T>(T value)
        where T : class =>
        BerthJson.Deserialize<T>(BerthJson.SerializeToUtf8Bytes(value))!;

    public static bool AreEqual<T>(T? a, T? b)
        where T : class =>
        JsonNode.DeepEquals(Normalize(a), Normalize(b));

    /// <summary>A short, readable account of what differs (upstream prints a cmp.Diff of the Go structs).</summary>
    public static string Diff<T>(T? old, T? updated)
        where T : class
    {
        var text = new StringBuilder();
        Walk(Normalize(old), Normalize(updated), "", text);
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>The normalised JSON form of a model (null members and empty lists dropped), for field-wise comparison.</summary>
    public static JsonObject ToNode<T>(T value)
        where T : class =>
        (JsonObject)Normalize(value)!;

    private static JsonNode? Normalize<T>(T? value)
        where T : class
    {
        if (value is null)
        {
            return null;
        }

        var node = JsonNode.Parse(BerthJson.SerializeToUtf8Bytes(value));
        return Prune(node);
    }

    private static JsonNode? Prune(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = Prune(obj[key]);
                    if (child is null || (child is JsonArray { Count: 0 }))
                    {
                        obj.Remove(key);
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Prune(array[i]);
                }

                return array;
            default:
                return node;
        }
    }

    private static void Walk(JsonNode? old, JsonNode? updated, string path, StringBuilder text)
    {
        if (JsonNode.DeepEquals(old, updated))
        {
            return;
        }

        if (old is JsonObject oldObj && updated is JsonObject newObj)
        {
            foreach (var key in oldObj.Select(p => p.Key).Union(newObj.Select(p => p.Key)).OrderBy(k => k, StringComparer.Ordinal))
            {
                Walk(oldObj[key], newObj[key], path.Length == 0 ? key : path + "." + key, text);
            }

            return;
        }

        if (old is JsonArray oldArray && updated is JsonArray newArray && oldArray.Count == newArray.Count)
        {
            for (var i = 0; i < oldArray.Count; i++)
            {
                Walk(oldArray[i], newArray[i], $"{path}[{i}]", text);
            }

            return;
        }

        text.Append("  ").Append(path).Append(": ")
            .Append(old?.ToJsonString() ?? "null").Append(" -> ").Append(updated?.ToJsonString() ?? "null").Append('\n');
    }
}
