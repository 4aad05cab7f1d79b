using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Serialization.Patching;

/// <summary>
/// Strategic merge patch as the API server applies it (apimachinery strategicpatch, mergeMap with
/// MergeParallelList and IgnoreUnmatchedNulls): null deletes; maps merge; lists whose field has the merge strategy
/// merge by their merge key (or, for primitives, as a union), others are replaced; directives <c>$patch</c>
/// (replace, delete, and in lists also merge-rejection), <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/f</c> and
/// <c>$setElementOrder/f</c>. Field strategies come from <see cref="PatchMetadata"/>.
/// </summary>
public static class StrategicMergePatch
{
    private const string DirectiveMarker = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
    private const string SetElementOrderPrefix = "$setElementOrder/";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="original"/> typed as <paramref name="modelType"/>.</summary>
    public static JsonNode Apply(JsonNode? original, JsonNode? patch, Type? modelType)
    {
        if (patch is not JsonObject patchObject)
        {
            // upstream decodes the body into map[string]interface{} first and answers the decoder's error as 400
            throw PatchException.BadRequest($"json: cannot unmarshal {GoKind(patch)} into Go value of type map[string]interface {{}}");
        }

        var doc = original is JsonObject o ? (JsonObject)o.DeepClone() : [];
        return MergeMap(doc, (JsonObject)patchObject.DeepClone(), modelType);
    }

    private static string GoKind(JsonNode? node) => node switch
    {
        JsonArray => "array",
        JsonObject => "object",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
        _ => "null",
    };

    private static JsonObject MergeMap(JsonObject original, JsonObject patch, Type? type)
    {
        if (patch.TryGetPropertyValue(DirectiveMarker, out var directive))
        {
            var d = directive is JsonValue dv && dv.TryGetValue<string>(out var s) ? s : GoValueFormat.Format(directive);
            switch (d)
            {
                case "replace":
                    // The map is replaced by the patch's own content (directives in it still apply, nulls drop).
                    patch.Remove(DirectiveMarker);
                    return MergeMap([], patch, type);
                case "delete":
                    return [];
                default:
                    throw PatchException.BadRequest($"unknown patch type: {d} in map: {GoValueFormat.Format(patch)}");
            }
        }

        ApplyRetainKeys(original, patch);

        var orders = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var key in patch.Select(p => p.Key).ToList())
        {
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveListPrefix.Length..];

                // upstream treats a deletion list whose value or target is not a list as a no-op
                if (patch[key] is JsonArray toDelete && original[field] is JsonArray list && list.Count + toDelete.Count > 0)
                {
                    ElementKind(list, toDelete);
                    var kept = list.Where(item => !toDelete.Any(del => JsonNode.DeepEquals(item, del))).Select(i => i?.DeepClone()).ToArray();
                    original[field] = new JsonArray(kept);
                }

                patch.Remove(key);
            }
            else if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                if (patch[key] is not JsonArray order)
                {
                    throw PatchException.BadRequest($"expected a []interface {{}}, but received a {GoTypeName(patch[key])}");
                }

                orders[key[SetElementOrderPrefix.Length..]] = order;
                patch.Remove(key);
            }
        }

        foreach (var (key, patchValue) in patch.ToList())
        {
            orders.TryGetValue(key, out var order);
            if (patchValue is null)
            {
                original.Remove(key);
                continue;
            }

            var info = PatchMetadata.Field(type, key);
            var childType = PatchMetadata.ChildType(type, key);
            original.TryGetPropertyValue(key, out var originalValue);
            switch (originalValue, patchValue)
            {
                case (JsonObject om, JsonObject pm):
                    var mergedMap = info is not null && info.Strategy.HasFlag(PatchStrategy.Replace)
                        ? Clean(pm, childType, info)
                        : MergeMap(om, pm, childType);
                    if (!ReferenceEquals(mergedMap, om))
                    {
                        original[key] = mergedMap;
                    }

                    break;
                case (JsonArray ol, JsonArray pl):
                    original[key] = MergeList(ol, pl, info, childType, order, key);
                    break;
                default:
                    // absent in the original, or of a different kind: the patch value wins, cleaned of directives
                    original[key] = patchValue is JsonArray newList
                        ? MergeList([], newList, info, childType, order, key)
                        : Clean(patchValue, childType, info);
                    break;
            }
        }

        // $setElementOrder for lists the patch does not otherwise touch: reorder what the original has.
        foreach (var (field, order) in orders)
        {
            if (!patch.ContainsKey(field) && original[field] is JsonArray list)
            {
                var info = PatchMetadata.Field(type, field);
                if (info is not null && info.Strategy.HasFlag(PatchStrategy.Merge))
                {
                    original[field] = MergeList(list, [], info, PatchMetadata.ChildType(type, field), order, field);
                }
            }
        }

        return original;
    }

    /// <summary>
    /// Upstream applyRetainKeysDirective: every non-null patch field must be listed, and original fields not
    /// listed are cleared before merging.
    /// </summary>
    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var retain))
        {
            return;
        }

        patch.Remove(RetainKeysDirective);
        if (retain is not JsonArray list || list.Any(i => i is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            throw PatchException.BadRequest("invalid patch format of retainKeys");
        }

        var keep = list.Select(i => i!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (value is null || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
                || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!keep.Contains(key))
            {
                throw PatchException.BadRequest("invalid patch format of retainKeys");
            }
        }

        foreach (var key in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
        {
            original.Remove(key);
        }
    }

    /// <summary>A patch value that lands where the original has nothing: directives processed, nulls dropped.</summary>
    private static JsonNode? Clean(JsonNode? value, Type? type, FieldPatchInfo? info) => value switch
    {
        JsonObject obj => MergeMap([], (JsonObject)obj.DeepClone(), type),
        JsonArray arr => MergeList([], (JsonArray)arr.DeepClone(), info, type, null, info?.JsonName ?? ""),
        _ => value?.DeepClone(),
    };

    private static JsonArray MergeList(JsonArray original, JsonArray patch, FieldPatchInfo? info, Type? elementType, JsonArray? order,
        string field)
    {
        if (info is null || !info.Strategy.HasFlag(PatchStrategy.Merge))
        {
            // No merge strategy: the list is replaced; elements still lose their directives and nulls.
            return new JsonArray([.. patch.Select(item => item is JsonObject o ? Clean(o, elementType, null) : item?.DeepClone())]);
        }

        if (original.Count == 0 && patch.Count == 0)
        {
            return [];
        }

        var kind = ElementKind(original, patch);
        var mergeKey = info.MergeKey;
        List<JsonNode?> merged;
        List<JsonNode?> patchItems;
        if (kind != JsonValueKind.Object)
        {
            merged = [];
            foreach (var item in original.Concat(patch))
            {
                if (!merged.Any(m => JsonNode.DeepEquals(m, item)))
                {
                    merged.Add(item?.DeepClone());
                }
            }

            patchItems = [.. patch];
            mergeKey = null;
        }
        else
        {
            if (mergeKey is null)
            {
                throw PatchException.BadRequest($"cannot merge lists without merge key for {field}");
            }

            var working = original.Select(i => i?.DeepClone()).ToList();
            patchItems = [];
            var replace = false;
            foreach (var item in patch)
            {
                var obj = (JsonObject)item!;
                if (!obj.TryGetPropertyValue(DirectiveMarker, out var directive))
                {
                    patchItems.Add(obj);
                    continue;
                }

                var d = directive is JsonValue dv && dv.TryGetValue<string>(out var s) ? s : GoValueFormat.Format(directive);
                switch (d)
                {
                    case "delete":
                        if (!obj.TryGetPropertyValue(mergeKey, out var keyValue))
                        {
                            throw NoMergeKey(obj, mergeKey);
                        }

                        working.RemoveAll(w => w is JsonObject wo && JsonNode.DeepEquals(wo[mergeKey], keyValue));
                        break;
                    case "replace":
                        replace = true;
                        break;
                    case "merge":
                        throw PatchException.BadRequest("merging lists cannot yet be specified in the patch");
                    default:
                        throw PatchException.BadRequest($"unknown patch type: {d} in map: {GoValueFormat.Format(obj)}");
                }
            }

            if (replace)
            {
                // "$patch: replace" in a list: the list becomes the patch's other elements.
                working = [];
            }

            foreach (JsonObject item in patchItems.Cast<JsonObject>())
            {
                if (!item.TryGetPropertyValue(mergeKey, out var keyValue))
                {
                    throw NoMergeKey(item, mergeKey);
                }

                var index = working.FindIndex(w => w is JsonObject wo && wo.TryGetPropertyValue(mergeKey, out var v) && JsonNode.DeepEquals(v, keyValue));
                if (index >= 0)
                {
                    working[index] = MergeMap((JsonObject)working[index]!, (JsonObject)item.DeepClone(), elementType);
                }
                else
                {
                    working.Add(MergeMap([], (JsonObject)item.DeepClone(), elementType));
                }
            }

            merged = working;
        }

        var orderList = order is null ? patchItems : [.. order];
        if (order is not null)
        {
            ValidateAgainstOrder(patchItems, order, mergeKey);
        }

        return Normalize(merged, orderList, original, mergeKey);
    }

    /// <summary>
    /// Upstream normalizeElementOrder + mergeSortedSlice: items named by the patch (or by $setElementOrder) come in
    /// that order, items only the server had keep their relative order and their place among them.
    /// </summary>
    private static JsonArray Normalize(List<JsonNode?> merged, List<JsonNode?> patchOrder, JsonArray serverOrder, string? mergeKey)
    {
        JsonNode? KeyOf(JsonNode? item) => mergeKey is null ? item : (item as JsonObject)?[mergeKey];

        int IndexIn(IEnumerable<JsonNode?> list, JsonNode? item)
        {
            var key = KeyOf(item);
            var i = 0;
            foreach (var candidate in list)
            {
                // order lists name items by key: a map element or, for $setElementOrder, {mergeKey: value}
                if (JsonNode.DeepEquals(KeyOf(candidate), key))
                {
                    return i;
                }

                i++;
            }

            return -1;
        }

        var fromPatch = merged.Where(m => IndexIn(patchOrder, m) >= 0).OrderBy(m => IndexIn(patchOrder, m)).ToList();
        var serverOnly = merged.Where(m => IndexIn(patchOrder, m) < 0).OrderBy(m => IndexIn(serverOrder, m)).ToList();

        var result = new JsonArray();
        int l = 0, r = 0;
        while (l < serverOnly.Count || r < fromPatch.Count)
        {
            JsonNode? next;
            if (l >= serverOnly.Count)
            {
                next = fromPatch[r++];
            }
            else if (r >= fromPatch.Count)
            {
                next = serverOnly[l++];
            }
            else
            {
                var li = IndexIn(serverOrder, serverOnly[l]);
                var ri = IndexIn(serverOrder, fromPatch[r]);
                next = li >= 0 && ri >= 0 && li < ri ? serverOnly[l++] : fromPatch[r++];
            }

            result.Add(next?.Parent is null ? next : next.DeepClone());
        }

        return result;
    }

    private static void ValidateAgainstOrder(List<JsonNode?> patchItems, JsonArray order, string? mergeKey)
    {
        // upstream validatePatchWithSetOrderList: every patch item is named in the order list, in the same order
        var last = -1;
        foreach (var item in patchItems)
        {
            var key = mergeKey is null ? item : (item as JsonObject)?[mergeKey];
            var index = -1;
            for (var i = 0; i < order.Count; i++)
            {
                var candidate = mergeKey is null ? order[i] : (order[i] as JsonObject)?[mergeKey];
                if (JsonNode.DeepEquals(candidate, key))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0 || index < last)
            {
                throw PatchException.BadRequest(
                    $"The order in patch list:\n{GoValueFormat.Format(new JsonArray([.. patchItems.Select(p => p?.DeepClone())]))}\n doesn't match $setElementOrder list:\n{GoValueFormat.Format(order)}\n");
            }

            last = index;
        }
    }

    private static JsonValueKind ElementKind(JsonArray original, JsonArray patch)
    {
        JsonValueKind? kind = null;
        foreach (var item in original.Concat(patch))
        {
            var k = item switch
            {
                JsonObject => JsonValueKind.Object,
                JsonArray => JsonValueKind.Array,
                JsonValue v => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : v.GetValueKind(),
                _ => JsonValueKind.Null,
            };
            if (kind is null)
            {
                // upstream sliceElementType: only the first element is checked for being a list
                if (k == JsonValueKind.Array)
                {
                    throw PatchException.Invalid("lists of lists are not supported");
                }

                kind = k;
            }
            else if (kind != k)
            {
                throw PatchException.BadRequest(
                    $"list element types are not identical: [{GoValueFormat.Format(original)} {GoValueFormat.Format(patch)}]");
            }
        }

        return kind ?? JsonValueKind.Null;
    }

    /// <summary>Go's reflect type name of a decoded JSON value, as upstream's ErrBadArgType prints it.</summary>
    private static string GoTypeName(JsonNode? node) => node switch
    {
        JsonObject => "map[string]interface {}",
        JsonArray => "[]interface {}",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "float64",
            _ => "bool",
        },
        _ => "<nil>",
    };

    private static PatchException NoMergeKey(JsonObject item, string mergeKey) =>
        PatchException.BadRequest($"map: {GoValueFormat.Format(item)} does not contain declared merge key: {mergeKey}");
}
