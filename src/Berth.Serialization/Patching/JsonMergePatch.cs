using System.Text.Json.Nodes;

namespace Berth.Serialization.Patching;

/// <summary>
/// RFC 7386 JSON merge patch, with the behaviour of evanphx/json-patch's MergePatch that the API server uses for
/// <c>application/merge-patch+json</c>: a null member deletes, objects merge recursively, anything else
/// (arrays included) replaces, and nulls inside newly added objects are dropped.
/// </summary>
public static class JsonMergePatch
{
    /// <summary>Returns a new document; neither argument is modified.</summary>
    public static JsonNode? Apply(JsonNode? original, JsonNode? patch)
    {
        // upstream: a patch that is JSON null is errBadJSONPatch, answered as 400 "Invalid JSON Patch".
        if (patch is null)
        {
            throw PatchException.BadRequest("Invalid JSON Patch");
        }

        if (patch is not JsonObject patchObject)
        {
            if (patch is JsonArray array)
            {
                return PruneNulls(array);
            }

            throw PatchException.BadRequest("Invalid JSON Patch");
        }

        var result = original is JsonObject o ? (JsonObject)o.DeepClone() : [];
        Merge(result, patchObject);
        return result;
    }

    private static void Merge(JsonObject doc, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                doc.Remove(key);
            }
            else if (value is JsonObject patchChild && doc[key] is JsonObject docChild)
            {
                Merge(docChild, patchChild);
            }
            else
            {
                doc[key] = PruneNulls(value);
            }
        }
    }

    private static JsonNode PruneNulls(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (k, v) in obj)
                {
                    if (v is not null)
                    {
                        copy[k] = PruneNulls(v);
                    }
                }

                return copy;
            case JsonArray arr:
                // upstream keeps nulls inside arrays, pruning only objects within them
                var list = new JsonArray();
                foreach (var item in arr)
                {
                    list.Add(item is null ? null : PruneNulls(item));
                }

                return list;
            default:
                return node.DeepClone();
        }
    }

    /// <summary>
    /// The merge patch that turns <paramref name="from"/> into <paramref name="to"/> (upstream
    /// jsonpatch.CreateMergePatch for objects): changed members, nulls for removed ones.
    /// </summary>
    public static JsonNode? CreatePatch(JsonNode? from, JsonNode? to)
    {
        if (from is not JsonObject f || to is not JsonObject t)
        {
            return to?.DeepClone();
        }

        var patch = new JsonObject();
        foreach (var (key, value) in f)
        {
            if (!t.ContainsKey(key))
            {
                patch[key] = null;
            }
        }

        foreach (var (key, value) in t)
        {
            if (!f.TryGetPropertyValue(key, out var old))
            {
                patch[key] = value?.DeepClone();
            }
            else if (old is JsonObject oldObj && value is JsonObject newObj)
            {
                var child = (JsonObject)CreatePatch(oldObj, newObj)!;
                if (child.Count > 0)
                {
                    patch[key] = child;
                }
            }
            else if (!JsonNode.DeepEquals(old, value))
            {
                patch[key] = value?.DeepClone();
            }
        }

        return patch;
    }
}
