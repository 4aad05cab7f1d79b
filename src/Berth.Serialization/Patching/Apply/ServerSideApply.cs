using System.Globalization;
using System.Text.Json;
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
public static partial class ServerSideApply
{
    private const string ApplyOperation = "Apply";
    private const string UpdateOperation = "Update";

    /// <summary>upstream DefaultMaxUpdateManagers and the name older update entries are merged into.</summary>
    private const int MaxUpdateManagers = 10;

    private const string AncientChanges = "ancient-changes";

    /// <summary>Upstream fieldmanager stripmeta: fields nobody owns.</summary>
    private static readonly string[][] StrippedPaths =
    [
        ["f:apiVersion"], ["f:kind"], ["f:metadata", "f:name"], ["f:metadata", "f:namespace"], ["f:metadata", "f:creationTimestamp"],
        ["f:metadata", "f:selfLink"], ["f:metadata", "f:uid"], ["f:metadata", "f:clusterName"], ["f:metadata", "f:generation"],
        ["f:metadata", "f:managedFields"], ["f:metadata", "f:resourceVersion"], ["f:metadata", "f:deletionTimestamp"],
        ["f:metadata", "f:deletionGracePeriodSeconds"],
    ];

    /// <summary>The metadata fields of <see cref="StrippedPaths"/>, for the create walk that strips as it goes.</summary>
    private static readonly HashSet<string> StrippedMetadataFields = new(
        StrippedPaths.Where(p => p is ["f:metadata", _]).Select(p => p[1][2..]), StringComparer.Ordinal);

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
        var managers = ReadManagers(liveObject, live: true) ?? [];
        var apiVersion = Text(config["apiVersion"]) ?? "";
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
                conflicts.Add(new ApplyConflict(other.PrintName(), FieldSet.PathString(path)) { Path = path });
            }

            if (force)
            {
                other.Set = other.Set.Difference(changed);
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            if (fieldManager != KubectlManager || !AllowedByLastApplied(liveObject!, conflicts, root, apiVersion))
            {
                return new ApplyResult(live!.DeepClone(), conflicts);
            }

            // upstream lastAppliedManager: kubectl's server-side apply may take over what its client-side apply set.
            return Apply(live, applied, fieldManager, force: true, modelType, now, subresource);
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
        if (fieldManager == KubectlManager && LastApplied(merged) is { Length: > 0 })
        {
            // upstream lastAppliedUpdater: keep the client-side apply annotation in step with what kubectl applied, so
            // a later client-side apply computes its three-way patch from this configuration.
            SetLastApplied(merged, BuildLastApplied(config));
        }

        return new ApplyResult(merged, []);
    }

    /// <summary>The field manager kubectl's server-side apply uses by default.</summary>
    private const string KubectlManager = "kubectl";

    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>upstream totalAnnotationSizeLimitB (256 KiB): a last-applied annotation that would break it is dropped.</summary>
    private const int TotalAnnotationSizeLimit = 256 * 1024;

    /// <summary>
    /// upstream lastAppliedManager.allowedConflictsFromLastApplied: when the live object carries a client-side apply
    /// annotation of the same apiVersion, conflicts on fields whose value in it still equals the live value are allowed
    /// (kubectl is taking over what it applied itself), so an upgrade from client-side to server-side apply does not
    /// conflict with "kubectl-client-side-apply" over fields nobody else changed.
    /// </summary>
    private static bool AllowedByLastApplied(JsonObject live, List<ApplyConflict> conflicts, Descriptor root, string apiVersion)
    {
        if (LastApplied(live) is not { Length: > 0 } text)
        {
            return false;
        }

        JsonObject? lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }

        if (lastApplied is null || Text(lastApplied["apiVersion"]) != apiVersion)
        {
            return false;
        }

        FieldSet lastAppliedSet;
        try
        {
            lastAppliedSet = ToFieldSet(lastApplied, root);
        }
        catch (PatchException)
        {
            return false;
        }

        foreach (var conflict in conflicts)
        {
            if (!lastAppliedSet.Has(conflict.Path) || !TryResolve(lastApplied, conflict.Path, out var applied)
                || !TryResolve(live, conflict.Path, out var current) || !JsonNode.DeepEquals(applied, current))
            {
                return false;
            }
        }

        return true;
    }

    private static string? LastApplied(JsonObject? obj) => Text(obj?["metadata"]?["annotations"]?[LastAppliedAnnotation]);

    /// <summary>upstream buildLastApplied: the applied configuration without the annotation itself, as Go encodes an
    /// unstructured object (keys sorted).</summary>
    private static string BuildLastApplied(JsonObject applied)
    {
        var copy = (JsonObject)applied.DeepClone();
        if (copy["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations.Remove(LastAppliedAnnotation);
        }

        return Sorted(copy)!.ToJsonString(CompactJson);

        static JsonNode? Sorted(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
            JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
            _ => node?.DeepClone(),
        };
    }

    private static void SetLastApplied(JsonObject obj, string value)
    {
        if (obj["metadata"] is not JsonObject meta)
        {
            return;
        }

        if (meta["annotations"] is not JsonObject annotations)
        {
            annotations = [];
            meta["annotations"] = annotations;
        }

        annotations[LastAppliedAnnotation] = value;
        var total = annotations.Sum(a => a.Key.Length + (Text(a.Value)?.Length ?? 0));
        if (total > TotalAnnotationSizeLimit)
        {
            annotations.Remove(LastAppliedAnnotation);
        }
    }

    private static readonly JsonSerializerOptions CompactJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Records a non-apply write (create, update, patch) by <paramref name="fieldManager"/>: it takes ownership of
    /// every field it added or changed, other managers lose those fields, removed fields leave every set (upstream
    /// Updater.Update, operation "Update"). Returns <paramref name="newObject"/> with managedFields set.
    /// </summary>
    public static JsonNode RecordUpdate(JsonNode? oldObject, JsonNode newObject, string fieldManager, Type modelType, DateTime now,
        string? subresource = null)
    {
        var result = (JsonObject)newObject.DeepClone();
        RecordUpdateInPlace(oldObject as JsonObject, result, fieldManager, modelType, now, subresource);
        return result;
    }

    /// <summary>
    /// <see cref="RecordUpdate"/> on <paramref name="newObject"/> itself (the API server's write path owns the tree it
    /// records into, so it skips the copy).
    /// </summary>
    public static void RecordUpdateInPlace(JsonObject? oldObject, JsonObject newObject, string fieldManager, Type modelType, DateTime now,
        string? subresource = null)
    {
        var managers = RecordCore(oldObject, newObject, fieldManager, modelType, now, subresource);
        if (managers is null)
        {
            (newObject["metadata"] as JsonObject)?.Remove("managedFields");
            return;
        }

        WriteManagers(newObject, managers);
    }

    /// <summary>
    /// What <see cref="RecordUpdate"/> would set as <c>metadata.managedFields</c>, as models (null: none), leaving
    /// <paramref name="newObject"/> untouched: the create path records on a tree of the defaulted object but stores
    /// the model.
    /// </summary>
    public static IList<V1ManagedFieldsEntry>? RecordUpdateEntries(JsonObject? oldObject, JsonObject newObject, string fieldManager,
        Type modelType, DateTime now, string? subresource = null)
    {
        var managers = RecordCore(oldObject, newObject, fieldManager, modelType, now, subresource);
        if (managers is null)
        {
            return null;
        }

        var entries = new List<V1ManagedFieldsEntry>(managers.Count);
        foreach (var m in Ordered(managers))
        {
            entries.Add(new V1ManagedFieldsEntry
            {
                ApiVersion = m.ApiVersion,
                FieldsType = "FieldsV1",
                FieldsV1 = m.Set.ToFieldsV1Json(),
                Manager = m.Manager,
                Operation = m.Operation,
                Subresource = string.IsNullOrEmpty(m.Subresource) ? null : m.Subresource,
                Time = m.Time is { } t ? new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc) : null,
            });
        }

        return entries.Count == 0 ? null : entries;
    }

    /// <summary>
    /// The managers after the write, or null when the object must carry no managedFields: the client reset them, or
    /// the object cannot be described as a field set (upstream UpdateNoErrors strips them then; validation reports
    /// what is wrong with the object itself).
    /// </summary>
    private static List<ManagerEntry>? RecordCore(JsonObject? oldObject, JsonObject newObject, string fieldManager, Type modelType,
        DateTime now, string? subresource)
    {
        if (newObject["metadata"] is JsonObject meta && meta["managedFields"] is JsonArray { Count: 1 } reset && reset[0] is JsonObject { Count: 0 })
        {
            // upstream isResetManagedFields: a list holding one empty entry is how a client strips managedFields.
            return null;
        }

        try
        {
            // upstream FieldManager.Update: managedFields the writer sent take precedence over the live ones (that is
            // how kubectl migrates "kubectl-client-side-apply" to "kubectl" with a JSON patch); absent, empty or not
            // decodable, and always for a subresource, the live ones carry over.
            var managers = subresource is null ? ReadManagers(newObject, live: false) : null;
            if (managers is null or { Count: 0 })
            {
                managers = ReadManagers(oldObject, live: true) ?? [];
            }

            var root = new Descriptor(modelType, null);
            var apiVersion = Text(newObject["apiVersion"]) ?? "";

            var newSet = OwnableFields(newObject, root, subresource);
            var oldSet = oldObject is null ? new FieldSet() : OwnableFields(oldObject, root, subresource);

            // On create everything the writer set is new to it.
            var changed = oldObject is null ? newSet : Changed(oldObject, newObject, newSet);
            var removed = oldObject is null ? oldSet : oldSet.Difference(newSet);

            foreach (var m in managers)
            {
                if (m.MayOverlap(removed))
                {
                    m.Set = m.Set.Difference(removed);
                }

                if (!m.Is(fieldManager, UpdateOperation, subresource) && m.MayOverlap(changed))
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

            CapUpdateManagers(managers);
            return managers;
        }
        catch (PatchException)
        {
            return null;
        }
    }

    /// <summary>
    /// upstream capManagersManager: with more than ten Update entries, the oldest are merged, per API version, into an
    /// "ancient-changes" entry, so an object written by many clients does not carry an unbounded list.
    /// </summary>
    private static void CapUpdateManagers(List<ManagerEntry> managers)
    {
        if (managers.Count(m => m.Operation == UpdateOperation) <= MaxUpdateManagers)
        {
            return;
        }

        var updaters = managers.Where(m => m.Operation == UpdateOperation && !m.Set.IsEmpty).ToList();

        updaters.Sort((a, b) =>
        {
            var bySeconds = a.UnixSeconds.CompareTo(b.UnixSeconds);
            return bySeconds != 0 ? bySeconds : string.CompareOrdinal(a.Identifier, b.Identifier);
        });

        var firstOfVersion = new Dictionary<string, ManagerEntry>(StringComparer.Ordinal);
        var length = updaters.Count;
        for (var i = 0; i < updaters.Count && length > MaxUpdateManagers; i++)
        {
            var entry = updaters[i];
            if (!firstOfVersion.TryGetValue(entry.ApiVersion, out var first))
            {
                firstOfVersion[entry.ApiVersion] = entry;
                continue;
            }

            var bucket = managers.Find(m => m.Is(AncientChanges, UpdateOperation, null) && m.ApiVersion == entry.ApiVersion);
            if (bucket is null)
            {
                // The first entry seen for this version becomes the bucket.
                managers.Remove(first);
                bucket = new ManagerEntry(AncientChanges, UpdateOperation, entry.ApiVersion, null, first.Time, first.Set);
                managers.Add(bucket);
            }

            bucket.Set = entry.Set.Union(bucket.Set);
            bucket.Time = entry.Time;
            managers.Remove(entry);
            length--;
        }
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

    /// <summary>Takes the fields nobody owns out of <paramref name="set"/> (in place) and returns it.</summary>
    private static FieldSet Strip(FieldSet set, string? subresource)
    {
        var result = set;
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

            return OfField(PatchMetadata.Field(Type, key));
        }

        /// <summary>The descriptor of this struct's field <paramref name="info"/> (null: a field the type does not have).</summary>
        public static Descriptor OfField(FieldPatchInfo? info)
        {
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

    /// <summary>
    /// The fields a write to <paramref name="subresource"/> can own: <see cref="Strip"/> of <see cref="ToFieldSet"/>,
    /// without walking the top-level part Strip drops anyway (the spec of a status write, the status of any other).
    /// </summary>
    private static FieldSet OwnableFields(JsonObject obj, Descriptor root, string? subresource)
    {
        var skipped = subresource == "status" ? "spec" : "status";
        var set = new FieldSet();
        var path = new List<string>(8);
        set.ReserveChildren(obj.Count);
        foreach (var (key, child) in obj)
        {
            if (key == skipped)
            {
                continue;
            }

            var element = FieldSet.FieldElement(key, root.IsStruct);
            path.Add(element);
            var childNode = set.Child(element);
            Walk(child, root.Child(key), path, childNode, markMaps: true);
            if (child is null || child is JsonObject { Count: 0 } || !root.IsStruct)
            {
                childNode.MarkMember();
            }

            set.DropIfEmpty(element);
            path.RemoveAt(0);
        }

        return Strip(set, subresource);
    }

    /// <summary>
    /// Adds the fields of <paramref name="value"/> under <paramref name="node"/>, the set node for
    /// <paramref name="path"/> (built as the walk descends rather than inserted from the root per field).
    /// </summary>
    private static void Walk(JsonNode? value, Descriptor d, List<string> path, FieldSet node, bool markMaps)
    {
        switch (value)
        {
            case JsonObject obj when d.IsGranularObject:
                var isStruct = d.IsStruct;
                if (markMaps && !isStruct && path.Count > 0)
                {
                    // Update entries own a map itself too (upstream compare marks it added: ".": {}).
                    node.MarkMember();
                }

                node.ReserveChildren(obj.Count);
                foreach (var (key, child) in obj)
                {
                    if (path.Count == 1 && key == "managedFields" && path[0] == "f:metadata")
                    {
                        // Nobody owns the ownership records (upstream strips them before comparing).
                        continue;
                    }

                    var element = FieldSet.FieldElement(key, isStruct);
                    path.Add(element);
                    var childNode = node.Child(element);
                    Walk(child, d.Child(key), path, childNode, markMaps);
                    if (child is null || child is JsonObject { Count: 0 } || !isStruct)
                    {
                        childNode.MarkMember();
                    }

                    node.DropIfEmpty(element);
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

                    var element = ItemKey(itemObj, d.Field);
                    path.Add(element);
                    var itemNode = node.Child(element);
                    Walk(itemObj, d.Item, path, itemNode, markMaps);
                    itemNode.MarkMember();
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray list when d.ListType == ListType.Set:
                foreach (var item in list)
                {
                    node.Child(FieldSet.ValueElement(item)).MarkMember();
                }

                break;
            default:
                // scalars, atomic lists, atomic structs
                if (path.Count > 0)
                {
                    node.MarkMember();
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

    /// <summary>
    /// Members of <paramref name="set"/> that <paramref name="after"/> adds or whose leaf value differs from
    /// <paramref name="before"/>. One descent of the set beside both objects: every write records its fields, so
    /// resolving each path from the root again (and parsing its list keys each time) was not affordable.
    /// </summary>
    private static FieldSet Changed(JsonObject? before, JsonObject after, FieldSet set)
    {
        var result = new FieldSet();
        var path = new List<string>();
        var parsed = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        Descend(set, before, before is not null, after, path);
        return result;

        void Descend(FieldSet node, JsonNode? oldValue, bool oldFound, JsonNode? newValue, List<string> prefix)
        {
            foreach (var (element, child) in node.Children)
            {
                JsonNode? oldChild = null;
                var oldChildFound = oldFound && TryStep(oldValue, element, parsed, out oldChild);
                TryStep(newValue, element, parsed, out var newChild);
                prefix.Add(element);
                if (child.IsMember && (!oldChildFound || (child.Children.Count == 0 && !JsonNode.DeepEquals(oldChild, newChild))))
                {
                    result.Insert(prefix);
                }

                Descend(child, oldChildFound ? oldChild : null, oldChildFound, newChild, prefix);
                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    private static bool TryResolve(JsonNode? node, IReadOnlyList<string> path, out JsonNode? value)
    {
        value = node;
        foreach (var element in path)
        {
            if (!TryStep(value, element, null, out value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One path element down from <paramref name="value"/>: a field of an object, or the list item with those keys, that
    /// value, or that index. Elements come from stored managedFields too, so malformed ones are simply not found.
    /// </summary>
    private static bool TryStep(JsonNode? value, string element, Dictionary<string, JsonNode?>? parsed, out JsonNode? next)
    {
        next = null;
        if (element.Length < 2)
        {
            return false;
        }

        switch (element[0], value)
        {
            case ('f', JsonObject obj):
                return obj.TryGetPropertyValue(element[2..], out next);
            case ('k', JsonArray arr):
                if (ParseElement(element, parsed) is not JsonObject keys)
                {
                    return false;
                }

                next = arr.FirstOrDefault(i => i is JsonObject o && keys.All(k =>
                    JsonNode.DeepEquals(o[k.Key], k.Value)
                    || (k.Key == "protocol" && o[k.Key] is null && k.Value is JsonValue v && v.TryGetValue<string>(out var p) && p == "TCP")));
                return next is not null;
            case ('v', JsonArray arr):
                if (!TryParseElement(element, parsed, out var wanted))
                {
                    return false;
                }

                next = arr.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                return next is not null || wanted is null;
            case ('i', JsonArray arr):
                if (!int.TryParse(element.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= arr.Count)
                {
                    return false;
                }

                next = arr[index];
                return true;
            default:
                return false;
        }
    }

    private static JsonNode? ParseElement(string element, Dictionary<string, JsonNode?>? parsed) =>
        TryParseElement(element, parsed, out var node) ? node : null;

    private static bool TryParseElement(string element, Dictionary<string, JsonNode?>? parsed, out JsonNode? node)
    {
        if (parsed is not null && parsed.TryGetValue(element, out node))
        {
            return true;
        }

        try
        {
            node = JsonNode.Parse(element.AsSpan(2).ToString());
        }
        catch (JsonException)
        {
            node = null;
            return false;
        }

        parsed?.Add(element, node);
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

    private sealed class ManagerEntry
    {
        private FieldSet? _set;
        private readonly JsonObject? _fieldsV1;
        private string _apiVersion;
        private DateTime? _time;

        public ManagerEntry(string manager, string operation, string apiVersion, string? subresource, DateTime? time, FieldSet set)
        {
            Manager = manager;
            Operation = operation;
            _apiVersion = apiVersion;
            Subresource = subresource;
            _time = time;
            _set = set;
        }

        /// <summary>An entry read from the live object: its field set is decoded when first needed, and the entry is
        /// written back as the stored JSON while nothing about it changes.</summary>
        public ManagerEntry(string manager, string operation, string apiVersion, string? subresource, DateTime? time, JsonObject? fieldsV1,
            JsonObject? stored)
        {
            Manager = manager;
            Operation = operation;
            _apiVersion = apiVersion;
            Subresource = subresource;
            _time = time;
            _fieldsV1 = fieldsV1;
            Stored = stored;
        }

        public string Manager { get; }

        public string Operation { get; }

        public string ApiVersion
        {
            get => _apiVersion;
            set
            {
                if (value != _apiVersion)
                {
                    _apiVersion = value;
                    Stored = null;
                }
            }
        }

        public string? Subresource { get; }

        public DateTime? Time
        {
            get => _time;
            set
            {
                _time = value;
                Stored = null;
            }
        }

        public FieldSet Set
        {
            get => _set ??= FieldSet.FromFieldsV1(_fieldsV1);
            set
            {
                _set = value;
                Stored = null;
            }
        }

        /// <summary>The live object's JSON of this entry, in the form <see cref="WriteManagers"/> writes, while the entry
        /// is unchanged; re-encoding it would give the same bytes.</summary>
        public JsonObject? Stored { get; private set; }

        public bool IsEmpty => _set is null ? _fieldsV1 is not { Count: > 0 } : _set.IsEmpty;

        /// <summary>
        /// False when no field of <paramref name="other"/> can be in this entry's set: none of its top-level fields is
        /// in the stored fieldsV1. Every write subtracts what it changed from every other entry, and a status write
        /// cannot touch what a creator or a spec writer owns, so those entries are neither decoded nor re-encoded.
        /// </summary>
        public bool MayOverlap(FieldSet other)
        {
            if (_set is not null || _fieldsV1 is null)
            {
                return true;
            }

            if (other.IsMember)
            {
                return true;
            }

            foreach (var element in other.Children.Keys)
            {
                if (_fieldsV1.ContainsKey(element))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The whole-second time upstream sorts by (0 without one).</summary>
        public long UnixSeconds => Time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds() : 0;

        /// <summary>upstream BuildManagerIdentifier's fields, as one string that orders the same way.</summary>
        public string Identifier => string.Join('\0', Manager, Operation, Operation == UpdateOperation ? ApiVersion : "", Subresource ?? "");

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

    /// <summary>
    /// The managedFields of <paramref name="obj"/> (an empty list when it has none), or null when they do not decode
    /// (upstream DecodeManagedFields: the operation is Apply or Update, apiVersion is set, fieldsType is FieldsV1, the
    /// fields are an object), in which case upstream falls back to the live object's.
    /// </summary>
    private static List<ManagerEntry>? ReadManagers(JsonObject? obj, bool live)
    {
        var result = new List<ManagerEntry>();
        if (obj?["metadata"] is not JsonObject meta || meta["managedFields"] is not { } node)
        {
            return result;
        }

        if (node is not JsonArray entries)
        {
            return null;
        }

        foreach (var item in entries)
        {
            if (item is not JsonObject entry
                || Text(entry["operation"]) is not (ApplyOperation or UpdateOperation) || Text(entry["apiVersion"]) is not { Length: > 0 }
                || Text(entry["fieldsType"]) != "FieldsV1" || entry["fieldsV1"] is not (null or JsonObject)
                || (entry["manager"] is not null && Text(entry["manager"]) is null)
                || (entry["subresource"] is not null && Text(entry["subresource"]) is null))
            {
                return null;
            }

            var timeText = Text(entry["time"]);
            DateTime? time = DateTime.TryParse(timeText, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
            var subresource = Text(entry["subresource"]) is { Length: > 0 } sub ? sub : null;
            var stored = live && IsWrittenForm(entry, timeText, time, subresource) ? entry : null;
            result.Add(new ManagerEntry(Text(entry["manager"]) ?? "", Text(entry["operation"])!, Text(entry["apiVersion"])!, subresource,
                time, entry["fieldsV1"] as JsonObject, stored));
        }

        return result;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static readonly string[] WrittenProperties = ["apiVersion", "fieldsType", "fieldsV1", "manager", "operation", "subresource", "time"];

    /// <summary>
    /// Whether <paramref name="entry"/> is exactly what <see cref="WriteManagers"/> writes for it: its properties in that
    /// order and the time at whole seconds in that format. Entries a client sent, or that another encoder wrote, are
    /// re-encoded as before; the field set's JSON is the canonical one on every stored entry (all are written from a
    /// <see cref="FieldSet"/>).
    /// </summary>
    private static bool IsWrittenForm(JsonObject entry, string? timeText, DateTime? time, string? subresource)
    {
        if (time is { } t && timeText != t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
        {
            return false;
        }

        if (entry["manager"] is null || (entry["subresource"] is not null && subresource is null)
            || (entry["time"] is not null && time is null) || entry["fieldsV1"] is not JsonObject)
        {
            return false;
        }

        var next = 0;
        foreach (var (name, _) in entry)
        {
            while (next < WrittenProperties.Length && WrittenProperties[next] != name)
            {
                next++;
            }

            if (next == WrittenProperties.Length)
            {
                return false;
            }

            next++;
        }

        return entry.Count == 5 + (subresource is null ? 0 : 1) + (time is null ? 0 : 1);
    }

    /// <summary>
    /// The entries worth writing in upstream encodeManagedFields order: operation (Apply before Update), time in
    /// seconds, manager, apiVersion, subresource.
    /// </summary>
    private static IEnumerable<ManagerEntry> Ordered(List<ManagerEntry> managers) => managers.Where(m => !m.IsEmpty)
        .OrderBy(m => m.Operation, StringComparer.Ordinal)
        .ThenBy(m => m.UnixSeconds)
        .ThenBy(m => m.Manager, StringComparer.Ordinal)
        .ThenBy(m => m.ApiVersion, StringComparer.Ordinal)
        .ThenBy(m => m.Subresource ?? "", StringComparer.Ordinal);

    private static void WriteManagers(JsonObject obj, List<ManagerEntry> managers)
    {
        if (obj["metadata"] is not JsonObject meta)
        {
            meta = new JsonObject();
            obj["metadata"] = meta;
        }

        var ordered = Ordered(managers);
        var array = new JsonArray();
        foreach (var m in ordered)
        {
            if (m.Stored is not null)
            {
                array.Add(m.Stored.DeepClone());
                continue;
            }

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

            array.Add((JsonNode)entry);
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
