using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Berth.Serialization.Patching.Apply;

/// <summary>
/// Server-side apply over JSON nodes (the apiserver fieldmanager over structured-merge-diff, rewritten for
/// Berth's types): the applied configuration merges into the live object by the same list and map semantics
/// upstream's OpenAPI declares (<see cref="PatchMetadata"/>: map lists by their keys, sets by value, atomic lists
/// and atomic structs whole, maps and structs field by field); <c>metadata.managedFields</c> records each
/// manager's fields as FieldsV1; a changed field another manager owns is a conflict unless forced; fields a
/// manager stops applying are removed unless someone else owns them.
/// </summary>
public static class ServerSideApply
{
    private const string ApplyOperation = "Apply";
    private const string UpdateOperation = "Update";

    /// <summary>Upstream fieldmanager stripmeta: fields nobody owns.</summary>
    private static readonly string[][] StrippedPaths =
    [
        ["f:apiVersion"], ["f:kind"], ["f:metadata", "f:name"], ["f:metadata", "f:namespace"], ["f:metadata", "f:creationTimestamp"],
        ["f:metadata", "f:selfLink"], ["f:metadata", "f:uid"], ["f:metadata", "f:clusterName"], ["f:metadata", "f:generation"],
        ["f:metadata", "f:managedFields"], ["f:metadata", "f:resourceVersion"], ["f:metadata", "f:deletionTimestamp"],
        ["f:metadata", "f:deletionGracePeriodSeconds"],
    ];

    /// <summary>Structs upstream marks <c>+structType=atomic</c>: owned and replaced as a whole.</summary>
    private static readonly HashSet<Type> AtomicStructs =
    [
        typeof(V1LabelSelector), typeof(V1LocalObjectReference), typeof(V1ObjectReference), typeof(V1ConfigMapKeySelector),
        typeof(V1SecretKeySelector), typeof(V1ObjectFieldSelector), typeof(V1ResourceFieldSelector), typeof(V1NodeSelector),
        typeof(V1TypedLocalObjectReference), typeof(V1TypedObjectReference),
    ];

    /// <summary>
    /// Applies <paramref name="applied"/> for <paramref name="fieldManager"/>. <paramref name="live"/> null creates.
    /// <paramref name="subresource"/> "status" applies to status only; otherwise status in the body is ignored
    /// (upstream resets it for the main resource).
    /// </summary>
    public static ApplyResult Apply(JsonNode? live, JsonNode applied, string fieldManager, bool force, Type modelType, DateTime now,
        string? subresource = null)
    {
        if (applied is not JsonObject appliedObject)
        {
            throw PatchException.BadRequest("error decoding YAML: the apply configuration must be an object");
        }

        var config = (JsonObject)appliedObject.DeepClone();
        if (config["metadata"] is JsonObject configMeta)
        {
            configMeta.Remove("managedFields");
        }

        RestrictToSubresource(config, subresource);

        var liveObject = live as JsonObject;
        var managers = ReadManagers(liveObject);
        var apiVersion = (string?)config["apiVersion"] ?? "";
        var root = new Descriptor(modelType, null);

        var appliedSet = Strip(ToFieldSet(config, root), subresource);
        var merged = liveObject is null ? new JsonObject() : (JsonObject)liveObject.DeepClone();
        merged = (JsonObject)Merge(merged, config, root)!;

        // Conflicts: fields this apply changes or adds that another manager owns.
        var changed = Changed(liveObject, merged, appliedSet);
        var conflicts = new List<ApplyConflict>();
        var me = managers.Find(m => m.Is(fieldManager, ApplyOperation, subresource));
        foreach (var other in managers.Where(m => m != me))
        {
            var overlap = other.Set.Intersection(changed);
            foreach (var path in overlap.Members())
            {
                conflicts.Add(new ApplyConflict(other.PrintName(), FieldSet.PathString(path)));
            }

            if (force)
            {
                other.Set = other.Set.Difference(changed);
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return new ApplyResult(live!.DeepClone(), conflicts);
        }

        // Fields this manager applied before and no longer applies are removed unless another manager owns them.
        if (me is not null)
        {
            var dropped = me.Set.Difference(appliedSet).Members().OrderByDescending(p => p.Count).ToList();
            foreach (var path in dropped)
            {
                if (!managers.Any(m => m != me && m.Set.HasAnyUnder(path)) && !appliedSet.HasAnyUnder(path))
                {
                    RemovePath(merged, path);
                }
            }
        }

        if (me is null)
        {
            me = new ManagerEntry(fieldManager, ApplyOperation, apiVersion, subresource, now, appliedSet);
            managers.Add(me);
        }
        else
        {
            if (!me.Set.SetEquals(appliedSet) || me.ApiVersion != apiVersion)
            {
                me.Time = now;
            }

            me.Set = appliedSet;
            me.ApiVersion = apiVersion;
        }

        WriteManagers(merged, managers);
        return new ApplyResult(merged, []);
    }

    /// <summary>
    /// Records a non-apply write (create, update, patch) by <paramref name="fieldManager"/>: it takes ownership of
    /// every field it added or changed, other managers lose those fields, removed fields leave every set (upstream
    /// Updater.Update, operation "Update"). Returns <paramref name="newObject"/> with managedFields set.
    /// </summary>
    public static JsonNode RecordUpdate(JsonNode? oldObject, JsonNode newObject, string fieldManager, Type modelType, DateTime now,
        string? subresource = null)
    {
        var result = (JsonObject)newObject.DeepClone();
        var oldObj = oldObject as JsonObject;

        // upstream fieldmanager: managedFields the writer sent take precedence over the live ones (that is how
        // kubectl migrates "kubectl-client-side-apply" to "kubectl" with a JSON patch); absent or empty, the live
        // ones carry over.
        var managers = ReadManagers(result);
        if (managers.Count == 0)
        {
            managers = ReadManagers(oldObj);
        }

        var root = new Descriptor(modelType, null);
        var apiVersion = (string?)result["apiVersion"] ?? "";

        var newSet = Strip(ToFieldSet(Without(result, "managedFields"), root, markMaps: true), subresource);
        var oldSet = oldObj is null ? new FieldSet() : Strip(ToFieldSet(Without(oldObj, "managedFields"), root, markMaps: true), subresource);
        var changed = Changed(oldObj, result, newSet);
        var removed = oldSet.Difference(newSet);

        foreach (var m in managers)
        {
            m.Set = m.Set.Difference(removed);
            if (!m.Is(fieldManager, UpdateOperation, subresource))
            {
                m.Set = m.Set.Difference(changed);
            }
        }

        var me = managers.Find(m => m.Is(fieldManager, UpdateOperation, subresource) && m.ApiVersion == apiVersion);
        if (!changed.IsEmpty)
        {
            if (me is null)
            {
                managers.Add(new ManagerEntry(fieldManager, UpdateOperation, apiVersion, subresource, now, changed));
            }
            else
            {
                me.Set = me.Set.Union(changed);
                me.Time = now;
            }
        }

        WriteManagers(result, managers);
        return result;
    }

    private static JsonObject Without(JsonObject obj, string metadataField)
    {
        var copy = (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove(metadataField);
        return copy;
    }

    private static void RestrictToSubresource(JsonObject config, string? subresource)
    {
        if (subresource == "status")
        {
            foreach (var key in config.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata" or "status")).ToList())
            {
                config.Remove(key);
            }
        }
        else
        {
            config.Remove("status");
        }
    }

    private static FieldSet Strip(FieldSet set, string? subresource)
    {
        var result = set.Clone();
        foreach (var path in StrippedPaths)
        {
            result.Remove(path);
        }

        result.RemoveTree(subresource == "status" ? "f:spec" : "f:status");

        result.Remove(["f:metadata"]);
        return result;
    }

    // ---- typed walk ---------------------------------------------------------------------------------------

    /// <summary>What describes a value: its model type (or, for list items and map values, the element type) and
    /// the field that holds it when that field is a list or a map.</summary>
    private readonly record struct Descriptor(Type? Type, FieldPatchInfo? Field)
    {
        public Descriptor Child(string key)
        {
            if (Field is { IsMap: true } || Type is null)
            {
                return new Descriptor(Field?.ElementType, null);
            }

            var info = PatchMetadata.Field(Type, key);
            if (info is null)
            {
                return new Descriptor(null, null);
            }

            return new Descriptor(info.IsList || info.IsMap ? info.ElementType : info.ValueType, info.IsList || info.IsMap ? info : null);
        }

        public Descriptor Item => new(Field?.ElementType, null);

        public bool IsGranularObject => Field is { IsMap: true } || Type is null
            || (PatchMetadata.For(Type).Count > 0 && !AtomicStructs.Contains(Type));

        public bool IsStruct => Field is not { IsMap: true } && Type is not null && PatchMetadata.For(Type).Count > 0;

        public ListType ListType => Field?.ListType ?? ListType.Atomic;
    }

    private static FieldSet ToFieldSet(JsonObject obj, Descriptor root, bool markMaps = false)
    {
        var set = new FieldSet();
        Walk(obj, root, [], set, markMaps);
        return set;
    }

    private static void Walk(JsonNode? value, Descriptor d, List<string> path, FieldSet set, bool markMaps)
    {
        switch (value)
        {
            case JsonObject obj when d.IsGranularObject:
                if (markMaps && !d.IsStruct && path.Count > 0)
                {
                    // Update entries own a map itself too (upstream compare marks it added: ".": {}).
                    set.Insert(path);
                }

                foreach (var (key, child) in obj)
                {
                    path.Add("f:" + key);
                    Walk(child, d.Child(key), path, set, markMaps);
                    if (child is null || child is JsonObject { Count: 0 } || !d.IsStruct)
                    {
                        set.Insert(path);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray list when d.ListType == ListType.Map && d.Field is not null:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is not JsonObject itemObj)
                    {
                        continue;
                    }

                    foreach (var key in d.Field.ListMapKeys)
                    {
                        if (itemObj[key] is null && key != "protocol")
                        {
                            // upstream structured-merge-diff refuses the object before any merge
                            throw PatchException.BadRequest(
                                $"failed to create typed patch object: {FieldSet.PathString(path)}: element {i}: associative list with keys has "
                                + $"an element that omits key field {Berth.Core.Selectors.GoFormat.Quote(key)} (and doesn't have default value)");
                        }
                    }

                    path.Add(ItemKey(itemObj, d.Field));
                    Walk(itemObj, d.Item, path, set, markMaps);
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray list when d.ListType == ListType.Set:
                foreach (var item in list)
                {
                    path.Add(FieldSet.ValueElement(item));
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                // scalars, atomic lists, atomic structs
                if (path.Count > 0)
                {
                    set.Insert(path);
                }

                break;
        }
    }

    /// <summary>
    /// The k:{...} element of a map-list item. A missing key field takes upstream's OpenAPI default where there is
    /// one (protocol: TCP), as structured-merge-diff does.
    /// </summary>
    private static string ItemKey(JsonObject item, FieldPatchInfo field)
    {
        var keys = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var key in field.ListMapKeys)
        {
            if (item.TryGetPropertyValue(key, out var v) && v is not null)
            {
                keys.Add(new(key, v));
            }
            else if (key == "protocol")
            {
                keys.Add(new(key, JsonValue.Create("TCP")));
            }
        }

        return FieldSet.KeyElement(keys);
    }

    private static bool SameItem(JsonObject a, JsonObject b, FieldPatchInfo field) => ItemKey(a, field) == ItemKey(b, field);

    private static JsonNode? Merge(JsonNode? live, JsonNode? applied, Descriptor d)
    {
        switch (live, applied)
        {
            case (JsonObject l, JsonObject a) when d.IsGranularObject:
                foreach (var (key, av) in a)
                {
                    if (av is null)
                    {
                        l.Remove(key);
                        continue;
                    }

                    l.TryGetPropertyValue(key, out var lv);
                    var merged = Merge(lv?.DeepClone(), av, d.Child(key));
                    l[key] = merged;
                }

                return l;
            case (JsonArray l, JsonArray a) when d.ListType == ListType.Map && d.Field is not null:
                {
                    var items = l.Select(i => i?.DeepClone()).ToList();
                    foreach (var ai in a)
                    {
                        if (ai is not JsonObject aobj)
                        {
                            continue;
                        }

                        var index = items.FindIndex(i => i is JsonObject io && SameItem(io, aobj, d.Field));
                        if (index >= 0)
                        {
                            items[index] = Merge(items[index], aobj, d.Item);
                        }
                        else
                        {
                            items.Add(Merge(new JsonObject(), aobj, d.Item));
                        }
                    }

                    return new JsonArray([.. items]);
                }

            case (JsonArray l, JsonArray a) when d.ListType == ListType.Set:
                {
                    var items = l.Select(i => i?.DeepClone()).ToList();
                    foreach (var ai in a)
                    {
                        if (!items.Any(i => JsonNode.DeepEquals(i, ai)))
                        {
                            items.Add(ai?.DeepClone());
                        }
                    }

                    return new JsonArray([.. items]);
                }

            case (null, JsonObject a) when d.IsGranularObject:
                return Merge(new JsonObject(), a, d);
            default:
                return applied?.DeepClone();
        }
    }

    /// <summary>Members of <paramref name="set"/> that <paramref name="after"/> adds or whose leaf value differs from <paramref name="before"/>.</summary>
    private static FieldSet Changed(JsonObject? before, JsonObject after, FieldSet set)
    {
        var result = new FieldSet();
        foreach (var path in set.Members())
        {
            var found = TryResolve(before, path, out var oldValue);
            TryResolve(after, path, out var newValue);
            if (!found || (!HasChildren(set, path) && !JsonNode.DeepEquals(oldValue, newValue)))
            {
                result.Insert(path);
            }
        }

        return result;
    }

    private static bool HasChildren(FieldSet set, IReadOnlyList<string> path)
    {
        var node = set;
        foreach (var e in path)
        {
            node = node.Children[e];
        }

        return node.Children.Count > 0;
    }

    private static bool TryResolve(JsonNode? node, IReadOnlyList<string> path, out JsonNode? value)
    {
        value = node;
        foreach (var element in path)
        {
            switch (element[0], value)
            {
                case ('f', JsonObject obj):
                    if (!obj.TryGetPropertyValue(element[2..], out value))
                    {
                        return false;
                    }

                    break;
                case ('k', JsonArray arr):
                    var keys = JsonNode.Parse(element[2..]) as JsonObject;
                    value = arr.FirstOrDefault(i => i is JsonObject o && keys!.All(k =>
                        JsonNode.DeepEquals(o[k.Key], k.Value) || (k.Key == "protocol" && o[k.Key] is null && (string?)k.Value == "TCP")));
                    if (value is null)
                    {
                        return false;
                    }

                    break;
                case ('v', JsonArray arr):
                    var wanted = JsonNode.Parse(element[2..]);
                    value = arr.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                    if (value is null && wanted is not null)
                    {
                        return false;
                    }

                    break;
                case ('i', JsonArray arr):
                    var index = int.Parse(element[2..], CultureInfo.InvariantCulture);
                    if (index >= arr.Count)
                    {
                        return false;
                    }

                    value = arr[index];
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static void RemovePath(JsonObject root, IReadOnlyList<string> path)
    {
        if (path.Count == 0 || !TryResolve(root, path.Take(path.Count - 1).ToArray(), out var parent))
        {
            return;
        }

        var last = path[^1];
        switch (last[0], parent)
        {
            case ('f', JsonObject obj):
                obj.Remove(last[2..]);
                break;
            case ('k' or 'v', JsonArray arr):
                if (TryResolve(arr, [last], out var item) && item is not null)
                {
                    arr.Remove(item);
                }
                else if (last[0] == 'v')
                {
                    // a null set element
                    var i = arr.ToList().FindIndex(x => x is null);
                    if (i >= 0)
                    {
                        arr.RemoveAt(i);
                    }
                }

                break;
        }
    }

    // ---- managedFields -------------------------------------------------------------------------------------

    private sealed class ManagerEntry(string manager, string operation, string apiVersion, string? subresource, DateTime? time, FieldSet set)
    {
        public string Manager { get; } = manager;

        public string Operation { get; } = operation;

        public string ApiVersion { get; set; } = apiVersion;

        public string? Subresource { get; } = subresource;

        public DateTime? Time { get; set; } = time;

        public FieldSet Set { get; set; } = set;

        public bool Is(string manager, string operation, string? subresource) =>
            Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");

        /// <summary>Upstream printManager: the quoted name, "with subresource", and "using apiVersion" for updates.</summary>
        public string PrintName()
        {
            var name = Berth.Core.Selectors.GoFormat.Quote(Manager);
            if (!string.IsNullOrEmpty(Subresource))
            {
                name += " with subresource " + Berth.Core.Selectors.GoFormat.Quote(Subresource);
            }

            return Operation == UpdateOperation ? $"{name} using {ApiVersion}" : name;
        }
    }

    private static List<ManagerEntry> ReadManagers(JsonObject? obj)
    {
        var result = new List<ManagerEntry>();
        if (obj?["metadata"]?["managedFields"] is not JsonArray entries)
        {
            return result;
        }

        foreach (var entry in entries.OfType<JsonObject>())
        {
            DateTime? time = DateTime.TryParse((string?)entry["time"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
            result.Add(new ManagerEntry((string?)entry["manager"] ?? "", (string?)entry["operation"] ?? UpdateOperation,
                (string?)entry["apiVersion"] ?? "", (string?)entry["subresource"], time, FieldSet.FromFieldsV1(entry["fieldsV1"])));
        }

        return result;
    }

    private static void WriteManagers(JsonObject obj, List<ManagerEntry> managers)
    {
        if (obj["metadata"] is not JsonObject meta)
        {
            meta = new JsonObject();
            obj["metadata"] = meta;
        }

        // upstream sorts by operation (Apply before Update), then time, then manager
        var ordered = managers.Where(m => !m.Set.IsEmpty)
            .OrderBy(m => m.Operation, StringComparer.Ordinal)
            .ThenBy(m => m.Time ?? DateTime.MinValue)
            .ThenBy(m => m.Manager, StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var m in ordered)
        {
            var entry = new JsonObject
            {
                ["apiVersion"] = m.ApiVersion,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = m.Set.ToFieldsV1(),
                ["manager"] = m.Manager,
                ["operation"] = m.Operation,
            };
            if (!string.IsNullOrEmpty(m.Subresource))
            {
                entry["subresource"] = m.Subresource;
            }

            if (m.Time is { } time)
            {
                entry["time"] = time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }

            array.Add(entry);
        }

        if (array.Count == 0)
        {
            meta.Remove("managedFields");
        }
        else
        {
            meta["managedFields"] = array;
        }
    }
}
