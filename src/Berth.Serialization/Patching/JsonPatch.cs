using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Serialization.Patching;

/// <summary>
/// RFC 6902 JSON patch (add, remove, replace, move, copy, test; JSON Pointer with ~0/~1 escapes) with the
/// semantics and error texts of gopkg.in/evanphx/json-patch.v4, which the API server uses for
/// <c>application/json-patch+json</c>. A body that does not decode is 400 with the decoder's message; an operation
/// that does not apply is 422 with upstream's generic Status message and the specific reason in
/// <see cref="PatchException.Detail"/> (upstream drops it from the Status).
/// </summary>
public static class JsonPatch
{
    /// <summary>Upstream maxJSONPatchOperations: longer patches are 413.</summary>
    public const int MaxOperations = 10000;

    private const string ApplyFailedMessage = "the server rejected our request due to an error in our request";

    public static JsonNode? Apply(JsonNode? original, JsonNode? patchArray)
    {
        if (patchArray is not JsonArray ops)
        {
            var kind = patchArray switch
            {
                null => "null",
                JsonObject => "object",
                JsonValue v => v.GetValueKind() switch
                {
                    System.Text.Json.JsonValueKind.String => "string",
                    System.Text.Json.JsonValueKind.Number => "number",
                    _ => "bool",
                },
                _ => "value",
            };
            if (kind == "null")
            {
                // Go's json.Unmarshal of null into a slice succeeds with an empty patch.
                return original?.DeepClone();
            }

            throw PatchException.BadRequest($"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch");
        }

        if (ops.Count > MaxOperations)
        {
            throw new PatchException(413,
                $"Request entity too large: The allowed maximum operations in a JSON patch is {MaxOperations}, got {ops.Count}");
        }

        foreach (var op in ops)
        {
            if (op is not JsonObject)
            {
                throw PatchException.BadRequest("json: cannot unmarshal " + (op is JsonArray ? "array" : op is null ? "null" : "value")
                    + " into Go value of type jsonpatch.Operation");
            }
        }

        // A holder lets the root be addressed like any other member.
        var holder = new JsonObject { ["doc"] = original?.DeepClone() };
        foreach (JsonObject op in ops.Cast<JsonObject>())
        {
            try
            {
                ApplyOne(holder, op);
            }
            catch (JsonPatchOperationException e)
            {
                throw new PatchException(422, ApplyFailedMessage, e.Message);
            }
        }

        var result = holder["doc"];
        holder.Remove("doc");
        return result;
    }

    private static void ApplyOne(JsonObject holder, JsonObject op)
    {
        var kind = op["op"] is JsonValue k && k.TryGetValue<string>(out var s) ? s : "unknown";
        switch (kind)
        {
            case "add":
                {
                    var path = PathOf(op, "path", "add operation failed to decode path");
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"add operation does not apply: doc is missing path: \"{path}\"");
                    Add(con, key, ValueOf(op), path, "add");
                    break;
                }

            case "remove":
                {
                    var path = PathOf(op, "path", "remove operation failed to decode path");
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"remove operation does not apply: doc is missing path: \"{path}\"");
                    Remove(con, key, path);
                    break;
                }

            case "replace":
                {
                    var path = PathOf(op, "path", "replace operation failed to decode path");
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"replace operation does not apply: doc is missing path: {path}");
                    // evanphx/json-patch v4 reads a missing object member as null without error, so replacing
                    // one adds it; only a bad array index is "missing".
                    if (con is JsonArray && !TryGet(con, key, out _))
                    {
                        throw Missing($"replace operation does not apply: doc is missing key: {path}");
                    }

                    Set(con, key, ValueOf(op));
                    break;
                }

            case "move":
                {
                    var from = PathOf(op, "from", "move operation failed to decode from");
                    var (fromCon, fromKey) = FindObject(holder, from) ?? throw Missing($"move operation does not apply: doc is missing from path: {from}");
                    if (!TryGet(fromCon, fromKey, out var value))
                    {
                        throw Missing($"error in move for path: '{fromKey}': Unable to access invalid index: {fromKey}");
                    }

                    var path = PathOf(op, "path", "move operation failed to decode path");
                    if (path.StartsWith(from + "/", StringComparison.Ordinal))
                    {
                        throw new JsonPatchOperationException($"move operation does not apply: from path {from} is a prefix of path {path}");
                    }

                    Remove(fromCon, fromKey, from);
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"move operation does not apply: doc is missing destination path: {path}");
                    Add(con, key, value, path, "move");
                    break;
                }

            case "copy":
                {
                    var from = PathOf(op, "from", "copy operation failed to decode from");
                    var (fromCon, fromKey) = FindObject(holder, from) ?? throw Missing($"copy operation does not apply: doc is missing from path: {from}");
                    if (!TryGet(fromCon, fromKey, out var value))
                    {
                        throw Missing($"error in copy for from: '{from}': Unable to access invalid index: {fromKey}");
                    }

                    var path = PathOf(op, "path", "copy operation failed to decode path");
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"copy operation does not apply: doc is missing destination path: {path}");
                    Add(con, key, value?.DeepClone(), path, "copy");
                    break;
                }

            case "test":
                {
                    var path = PathOf(op, "path", "test operation failed to decode path");
                    var (con, key) = FindObject(holder, path) ?? throw Missing($"test operation does not apply: is missing path: {path}");
                    TryGet(con, key, out var actual);
                    var expected = op["value"];
                    if (!JsonNode.DeepEquals(actual, expected))
                    {
                        throw new JsonPatchOperationException($"testing value {path} failed: test failed");
                    }

                    break;
                }

            default:
                throw new JsonPatchOperationException($"Unexpected kind: {kind}");
        }
    }

    private static JsonPatchOperationException Missing(string message) => new(message + ": missing value");

    private static string PathOf(JsonObject op, string field, string context)
    {
        if (op[field] is JsonValue v && v.TryGetValue<string>(out var path))
        {
            return path;
        }

        throw Missing($"{context}: operation missing {field} field");
    }

    private static JsonNode? ValueOf(JsonObject op) => op["value"]?.DeepClone();

    /// <summary>Resolves all but the last token; null when an intermediate member is missing (upstream findObject).</summary>
    private static (JsonNode Container, string Key)? FindObject(JsonObject holder, string pointer)
    {
        // upstream needs at least one '/'-separated token; "" (the whole document) is reported as a missing path.
        if (pointer.Length == 0 || pointer[0] != '/')
        {
            return null;
        }

        var tokens = pointer[1..].Split('/').Select(Unescape).ToArray();
        JsonNode? current = holder["doc"];
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            current = current switch
            {
                JsonObject o => o.TryGetPropertyValue(tokens[i], out var next) ? next : null,
                JsonArray a => int.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < a.Count ? a[idx] : null,
                _ => null,
            };
            if (current is null)
            {
                return null;
            }
        }

        return current is JsonObject or JsonArray ? (current, tokens[^1]) : null;
    }

    private static string Unescape(string token) =>
        token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static bool TryGet(JsonNode con, string key, out JsonNode? value)
    {
        value = null;
        if (con is JsonObject o)
        {
            return o.TryGetPropertyValue(key, out value);
        }

        var a = (JsonArray)con;
        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var idx))
        {
            return false;
        }

        if (idx < 0)
        {
            idx += a.Count;
        }

        if (idx < 0 || idx >= a.Count)
        {
            return false;
        }

        value = a[idx];
        return true;
    }

    private static void Add(JsonNode con, string key, JsonNode? value, string path, string verb)
    {
        if (con is JsonObject o)
        {
            o[key] = value;
            return;
        }

        var a = (JsonArray)con;
        if (key == "-")
        {
            a.Add(value);
            return;
        }

        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var idx))
        {
            throw new JsonPatchOperationException($"error in {verb} for path: '{path}': value was not a proper array index: '{key}'");
        }

        // upstream SupportNegativeIndices: -1 addresses the last element
        if (idx < 0)
        {
            if (idx < -a.Count)
            {
                throw new JsonPatchOperationException($"error in {verb} for path: '{path}': Unable to access invalid index: {idx}: invalid index referenced");
            }

            idx += a.Count;
        }

        if (idx > a.Count)
        {
            throw new JsonPatchOperationException($"error in {verb} for path: '{path}': Unable to access invalid index: {idx}: invalid index referenced");
        }

        a.Insert(idx, value);
    }

    private static void Set(JsonNode con, string key, JsonNode? value)
    {
        if (con is JsonObject o)
        {
            o[key] = value;
            return;
        }

        var a = (JsonArray)con;
        var idx = int.Parse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (idx < 0)
        {
            idx += a.Count;
        }

        a[idx] = value;
    }

    private static void Remove(JsonNode con, string key, string path)
    {
        if (con is JsonObject o)
        {
            if (!o.Remove(key))
            {
                throw Missing($"error in remove for path: '{path}': Unable to remove nonexistent key: {key}");
            }

            return;
        }

        var a = (JsonArray)con;
        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var idx))
        {
            throw new JsonPatchOperationException($"error in remove for path: '{path}': value was not a proper array index: '{key}'");
        }

        if (idx < 0)
        {
            idx += a.Count;
        }

        if (idx < 0 || idx >= a.Count)
        {
            throw new JsonPatchOperationException($"error in remove for path: '{path}': Unable to access invalid index: {idx}: invalid index referenced");
        }

        a.RemoveAt(idx);
    }

    private sealed class JsonPatchOperationException(string message) : Exception(message);
}
