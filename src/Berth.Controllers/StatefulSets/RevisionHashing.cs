using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// ControllerRevision content and naming (pkg/controller/history and statefulset getPatch): the revision data is
/// <c>{"spec":{"template":{"$patch":"replace",...}}}</c> with keys sorted at every level, compact, HTML-escaped like
/// Go's encoder; the hash is FNV-1 32-bit over those bytes then the decimal collisionCount, written in decimal and
/// "safe encoded" (apimachinery rand.SafeEncodeString). Our template encoding is not byte-identical to Go's, so
/// hashes are opaque but internally consistent, which is what rollback-by-equality needs.
/// </summary>
internal static class RevisionHashing
{
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The revision patch of a set: only the pod template is versioned.</summary>
    public static byte[] Patch(V1StatefulSet set)
    {
        var template = JsonNode.Parse(BerthJson.SerializeToUtf8Bytes(set.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        var root = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
        return Canonical(root);
    }

    /// <summary>Re-encodes JSON with sorted keys, compact, as Go's map marshalling does.</summary>
    public static byte[] Canonical(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            Write(writer, node);
        }

        return stream.ToArray();
    }

    public static byte[] Canonical(ReadOnlySpan<byte> json) => Canonical(JsonNode.Parse(json));

    /// <summary>FNV-1 (not 1a) 32-bit over data, then over the decimal collision count when given.</summary>
    public static uint Fnv1(ReadOnlySpan<byte> data, int? collisionCount)
    {
        var hash = 2166136261u;
        foreach (var b in data)
        {
            hash *= 16777619u;
            hash ^= b;
        }

        if (collisionCount is { } c)
        {
            foreach (var b in Encoding.ASCII.GetBytes(c.ToString(CultureInfo.InvariantCulture)))
            {
                hash *= 16777619u;
                hash ^= b;
            }
        }

        return hash;
    }

    /// <summary>rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alikes.</summary>
    public static string SafeEncode(string s)
    {
        var chars = new char[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            chars[i] = SafeAlphabet[s[i] % SafeAlphabet.Length];
        }

        return new string(chars);
    }

    public static string Hash(ReadOnlySpan<byte> data, int? collisionCount) =>
        SafeEncode(Fnv1(data, collisionCount).ToString(CultureInfo.InvariantCulture));

    /// <summary>ControllerRevisionName: "&lt;prefix&gt;-&lt;hash&gt;" with the prefix cut to 223 characters.</summary>
    public static string RevisionName(string prefix, string hash) =>
        (prefix.Length > 223 ? prefix[..223] : prefix) + "-" + hash;

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (k, v) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(k);
                    Write(writer, v);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var v in array)
                {
                    Write(writer, v);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
