using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using k8s.Models;

namespace Berth.Serialization.Patching.Apply;

public static partial class ServerSideApply
{
    /// <summary>Per model type, its JSON field names (to look up without allocating), "f:" elements and patch metadata.</summary>
    private static readonly ConcurrentDictionary<Type, Dictionary<string, (string Name, string Element, FieldPatchInfo Info)>> CreateFieldTables = new();

    [ThreadStatic]
    private static CreateWalk? _threadWalk;

    /// <summary>
    /// What <see cref="RecordUpdateEntries"/> of <c>(null, encoded model, ...)</c> returns for a create, computed from the
    /// model's UTF-8 JSON in one reader pass, without building a JSON tree or <see cref="FieldSet"/> dictionaries: the
    /// creator's Update entry owns every ownable field it set (upstream Updater.Update with no live object). Every create
    /// (pods, and the Events the controllers record per pod) pays for this, so it is on the API server's hot path
    /// (docs/benchmarks.md, registry group). False when the create is not the plain case this handles (the client sent
    /// managedFields, a list item lacks a key field, a key or set value is not a scalar): the caller then takes
    /// <see cref="RecordUpdateEntries"/>, which decides those. The fieldsV1 bytes are the same as that path writes.
    /// </summary>
    public static bool TryRecordCreateEntries(object model, Type modelType, string apiVersion, string fieldManager, DateTime now,
        out IList<V1ManagedFieldsEntry>? entries)
    {
        entries = null;
        if (model is IMetadata<V1ObjectMeta> { Metadata.ManagedFields.Count: > 0 })
        {
            // upstream FieldManager.Update: managedFields the writer sent take part (or reset them).
            return false;
        }

        var walk = _threadWalk ?? new CreateWalk();
        _threadWalk = null;
        try
        {
            if (!walk.Run(model, modelType, out var fieldsV1))
            {
                return false;
            }

            if (fieldsV1 is not null)
            {
                entries =
                [
                    new V1ManagedFieldsEntry
                    {
                        ApiVersion = apiVersion,
                        FieldsType = "FieldsV1",
                        FieldsV1 = fieldsV1,
                        Manager = fieldManager,
                        Operation = UpdateOperation,
                        Time = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc),
                    },
                ];
            }

            return true;
        }
        finally
        {
            if (walk.Reusable)
            {
                _threadWalk = walk;
            }
        }
    }

    private static Dictionary<string, (string Name, string Element, FieldPatchInfo Info)> CreateFieldTable(Type type) =>
        CreateFieldTables.GetOrAdd(type, static t => PatchMetadata.For(t).ToDictionary(
            f => f.Key, f => (f.Key, FieldSet.FieldElement(f.Key, modelField: true), f.Value), StringComparer.Ordinal));

    /// <summary>A node of the field set a create walk builds: its path element, whether the path itself is a member, and
    /// its children as a list threaded through the walk's node array (only non-empty children are linked).</summary>
    private struct CreateNode
    {
        public string Element;
        public bool IsMember;
        public int FirstChild;
        public int NextSibling;
    }

    /// <summary>Where a map-list item's key field value lies in the encoded JSON.</summary>
    private struct KeyCapture
    {
        public JsonTokenType Type;
        public int Start;
        public int Length;
        public bool Escaped;
    }

    /// <summary>structured-merge-diff order of the nodes' elements.</summary>
    private readonly struct CreateNodeOrder(CreateNode[] nodes) : IComparer<int>
    {
        public int Compare(int x, int y) => FieldSet.ComparePathElements(nodes[x].Element, nodes[y].Element);
    }

    /// <summary>
    /// One create's walk, reused per thread: the same semantics as <see cref="OwnableFields"/> (the typed
    /// <see cref="Walk"/> with maps owned, then <see cref="Strip"/>) and <see cref="FieldSet.ToFieldsV1Json"/>, over a
    /// <see cref="Utf8JsonReader"/> of the encoded model. Items of a map list with equal keys share one set node there;
    /// here they are siblings that the writer merges.
    /// </summary>
    private sealed class CreateWalk
    {
        private const int MaxRetainedBytes = 256 * 1024;

        private readonly ArrayBufferWriter<byte> _json = new(4096);
        private readonly Utf8JsonWriter _jsonWriter;
        private readonly ArrayBufferWriter<byte> _element = new(256);
        private readonly Utf8JsonWriter _elementWriter;
        private readonly ArrayBufferWriter<byte> _fields = new(2048);
        private readonly Utf8JsonWriter _fieldsWriter;
        private CreateNode[] _nodes = new CreateNode[128];
        private int _count;

        public CreateWalk()
        {
            _jsonWriter = new Utf8JsonWriter(_json);
            _elementWriter = new Utf8JsonWriter(_element, BerthJson.GoWriterOptions with { SkipValidation = true });
            _fieldsWriter = new Utf8JsonWriter(_fields, BerthJson.GoWriterOptions);
        }

        public bool Reusable => _json.Capacity <= MaxRetainedBytes && _fields.Capacity <= MaxRetainedBytes;

        /// <summary>The creator's fieldsV1 (null: it owns nothing), or false when the object needs the general path.</summary>
        public bool Run(object model, Type modelType, out RawJson? fieldsV1)
        {
            fieldsV1 = null;
            _json.ResetWrittenCount();
            _jsonWriter.Reset(_json);
            JsonSerializer.Serialize(_jsonWriter, model, BerthJson.Options.GetTypeInfo(modelType));
            var source = _json.WrittenSpan;

            _count = 0;
            var root = NewNode(null!);
            var reader = new Utf8JsonReader(source);
            var d = new Descriptor(modelType, null);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !d.IsStruct || !d.IsGranularObject
                || !WalkObject(ref reader, source, d, root, 0, false, null, [], out _))
            {
                return false;
            }

            if (_nodes[root].FirstChild < 0)
            {
                return true;
            }

            _fields.ResetWrittenCount();
            _fieldsWriter.Reset(_fields);
            WriteGroup([root]);
            _fieldsWriter.Flush();
            fieldsV1 = new RawJson(_fields.WrittenSpan.ToArray());
            return true;
        }

        /// <summary><see cref="Walk"/> of the value the reader is on, into <paramref name="node"/> at path length
        /// <paramref name="depth"/>.</summary>
        private bool WalkValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, Descriptor d, int node, int depth, bool rootMetadata,
            out bool nullOrEmptyObject)
        {
            nullOrEmptyObject = false;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when d.IsGranularObject:
                    return WalkObject(ref reader, source, d, node, depth, rootMetadata, null, [], out nullOrEmptyObject);
                case JsonTokenType.StartObject:
                    // An atomic struct: owned whole. The encoding is compact, so "{}" is the only one-byte object.
                    var start = reader.BytesConsumed;
                    reader.Skip();
                    nullOrEmptyObject = reader.BytesConsumed - start == 1;
                    break;
                case JsonTokenType.StartArray when d.ListType == ListType.Map && d.Field is not null:
                    return WalkMapList(ref reader, source, d, node, depth);
                case JsonTokenType.StartArray when d.ListType == ListType.Set:
                    return WalkSet(ref reader, source, node);
                case JsonTokenType.Null:
                    nullOrEmptyObject = true;
                    break;
                default:
                    // scalars and atomic lists
                    reader.Skip();
                    break;
            }

            if (depth > 0)
            {
                _nodes[node].IsMember = true;
            }

            return true;
        }

        /// <summary>
        /// The object case of <see cref="Walk"/>; <paramref name="keyNames"/>, for a map-list item, are its key fields, whose
        /// values go to <paramref name="keys"/>.
        /// </summary>
        private bool WalkObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, Descriptor d, int node, int depth, bool rootMetadata,
            IReadOnlyList<string>? keyNames, scoped Span<KeyCapture> keys, out bool empty)
        {
            var isStruct = d.IsStruct;
            if (!isStruct && depth > 0)
            {
                // Update entries own a map itself too (upstream compare marks it added: ".": {}).
                _nodes[node].IsMember = true;
            }

            var table = isStruct ? CreateFieldTable(d.Type!) : null;
            empty = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                empty = false;
                string key;
                string element;
                Descriptor child;
                if (table is not null && Lookup(ref reader, table) is { } field)
                {
                    (key, element) = (field.Name, field.Element);
                    child = Descriptor.OfField(field.Info);
                }
                else
                {
                    key = reader.GetString()!;
                    element = "f:" + key;
                    child = d.Child(key);
                }

                reader.Read();
                if ((depth == 0 && key == "status") || (rootMetadata && key == "managedFields"))
                {
                    // The main resource's writers own no status; nobody owns the ownership records.
                    reader.Skip();
                    continue;
                }

                if (keyNames is not null)
                {
                    Capture(ref reader, key, keyNames, keys);
                }

                var childNode = NewNode(element);
                if (!WalkValue(ref reader, source, child, childNode, depth + 1, depth == 0 && key == "metadata", out var childNullOrEmpty))
                {
                    return false;
                }

                if (childNullOrEmpty || !isStruct)
                {
                    _nodes[childNode].IsMember = true;
                }

                if ((depth == 0 && key is "apiVersion" or "kind" or "metadata") || (rootMetadata && StrippedMetadataFields.Contains(key)))
                {
                    // Strip: fields nobody owns (only their own membership: what lies below stays, as FieldSet.Remove does).
                    _nodes[childNode].IsMember = false;
                }

                Attach(node, childNode);
            }

            return true;
        }

        /// <summary>Notes where the value of a map-list item's key field lies (the reader is on that value).</summary>
        private static void Capture(ref Utf8JsonReader reader, string key, IReadOnlyList<string> names, scoped Span<KeyCapture> keys)
        {
            for (var i = 0; i < names.Count; i++)
            {
                if (names[i] == key)
                {
                    keys[i] = new KeyCapture
                    {
                        Type = reader.TokenType,
                        Start = (int)reader.TokenStartIndex + (reader.TokenType == JsonTokenType.String ? 1 : 0),
                        Length = reader.ValueSpan.Length,
                        Escaped = reader.ValueIsEscaped,
                    };
                }
            }
        }

        private bool WalkMapList(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, Descriptor d, int node, int depth)
        {
            var field = d.Field!;
            var itemDescriptor = d.Item;
            var keyNames = field.ListMapKeys;
            if (keyNames.Count is 0 or > 8 || !itemDescriptor.IsGranularObject)
            {
                return false;
            }

            Span<KeyCapture> keys = stackalloc KeyCapture[keyNames.Count];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                keys.Clear();
                var item = NewNode(null!);
                if (!WalkObject(ref reader, source, itemDescriptor, item, depth + 1, false, keyNames, keys, out _))
                {
                    return false;
                }

                if (ItemKey(source, keyNames, keys) is not { } element)
                {
                    return false;
                }

                _nodes[item].Element = element;
                _nodes[item].IsMember = true;
                Attach(node, item);
            }

            return true;
        }

        /// <summary><see cref="ServerSideApply.ItemKey"/> from the captured values; null when a key field is missing (upstream
        /// refuses the object) or not a scalar.</summary>
        private string? ItemKey(ReadOnlySpan<byte> source, IReadOnlyList<string> names, scoped Span<KeyCapture> keys)
        {
            Span<int> order = stackalloc int[names.Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            for (var i = 1; i < order.Length; i++)
            {
                for (var j = i; j > 0 && string.CompareOrdinal(names[order[j - 1]], names[order[j]]) > 0; j--)
                {
                    (order[j - 1], order[j]) = (order[j], order[j - 1]);
                }
            }

            _element.ResetWrittenCount();
            _element.Write("k:"u8);
            _elementWriter.Reset(_element);
            _elementWriter.WriteStartObject();
            string? previous = null;
            foreach (var i in order)
            {
                if (names[i] == previous)
                {
                    continue;
                }

                previous = names[i];
                var key = keys[i];
                if (key.Type is JsonTokenType.None or JsonTokenType.Null)
                {
                    if (names[i] != "protocol")
                    {
                        return null;
                    }

                    // upstream's OpenAPI default, as structured-merge-diff applies it
                    _elementWriter.WriteString(names[i], "TCP");
                    continue;
                }

                _elementWriter.WritePropertyName(names[i]);
                if (!WriteScalar(source, key))
                {
                    return null;
                }
            }

            _elementWriter.WriteEndObject();
            _elementWriter.Flush();
            return Encoding.UTF8.GetString(_element.WrittenSpan);
        }

        /// <summary>A scalar as <see cref="System.Text.Json.Nodes.JsonNode.WriteTo"/> writes it: strings re-escaped by the
        /// relaxed encoder, numbers as their text.</summary>
        private bool WriteScalar(ReadOnlySpan<byte> source, KeyCapture value)
        {
            var text = source.Slice(value.Start, value.Length);
            switch (value.Type)
            {
                case JsonTokenType.String when value.Escaped:
                    var reader = new Utf8JsonReader(source.Slice(value.Start - 1, value.Length + 2));
                    reader.Read();
                    _elementWriter.WriteStringValue(reader.GetString());
                    return true;
                case JsonTokenType.String:
                    _elementWriter.WriteStringValue(text);
                    return true;
                case JsonTokenType.Number:
                    _elementWriter.WriteRawValue(text, skipInputValidation: true);
                    return true;
                case JsonTokenType.True or JsonTokenType.False:
                    _elementWriter.WriteBooleanValue(value.Type == JsonTokenType.True);
                    return true;
                default:
                    return false;
            }
        }

        private bool WalkSet(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, int node)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                string element;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    element = "v:null";
                }
                else
                {
                    var value = new KeyCapture
                    {
                        Type = reader.TokenType,
                        Start = (int)reader.TokenStartIndex + (reader.TokenType == JsonTokenType.String ? 1 : 0),
                        Length = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray ? 0 : reader.ValueSpan.Length,
                        Escaped = reader.ValueIsEscaped,
                    };
                    _element.ResetWrittenCount();
                    _element.Write("v:"u8);
                    _elementWriter.Reset(_element);
                    if (!WriteScalar(source, value))
                    {
                        return false;
                    }

                    _elementWriter.Flush();
                    element = Encoding.UTF8.GetString(_element.WrittenSpan);
                }

                var child = NewNode(element);
                _nodes[child].IsMember = true;
                Attach(node, child);
            }

            return true;
        }

        private static (string Name, string Element, FieldPatchInfo Info)? Lookup(ref Utf8JsonReader reader,
            Dictionary<string, (string Name, string Element, FieldPatchInfo Info)> table)
        {
            var utf8 = reader.ValueSpan;
            if (reader.ValueIsEscaped || utf8.Length > 64)
            {
                return null;
            }

            Span<char> chars = stackalloc char[64];
            var length = Encoding.UTF8.GetChars(utf8, chars);
            return table.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..length], out var field) ? field : null;
        }

        private int NewNode(string element)
        {
            if (_count == _nodes.Length)
            {
                Array.Resize(ref _nodes, _nodes.Length * 2);
            }

            _nodes[_count] = new CreateNode { Element = element, FirstChild = -1, NextSibling = -1 };
            return _count++;
        }

        /// <summary>Links <paramref name="child"/> under <paramref name="parent"/>, or, when nothing under it is in the set,
        /// drops it and the nodes made after it (its own descendants).</summary>
        private void Attach(int parent, int child)
        {
            if (!_nodes[child].IsMember && _nodes[child].FirstChild < 0)
            {
                _count = child;
                return;
            }

            _nodes[child].NextSibling = _nodes[parent].FirstChild;
            _nodes[parent].FirstChild = child;
        }

        /// <summary>
        /// Writes the union of <paramref name="group"/> (nodes of one element: one, or list items with equal keys) as
        /// <see cref="FieldSet.ToFieldsV1Json"/> writes a node: <c>".": {}</c> for a member with children, children in
        /// structured-merge-diff order.
        /// </summary>
        private void WriteGroup(ReadOnlySpan<int> group)
        {
            var member = false;
            var count = 0;
            foreach (var n in group)
            {
                member |= _nodes[n].IsMember;
                for (var c = _nodes[n].FirstChild; c >= 0; c = _nodes[c].NextSibling)
                {
                    count++;
                }
            }

            int[]? rented = null;
            var children = count <= 32 ? stackalloc int[32] : (rented = ArrayPool<int>.Shared.Rent(count));
            children = children[..count];
            var i = 0;
            foreach (var n in group)
            {
                for (var c = _nodes[n].FirstChild; c >= 0; c = _nodes[c].NextSibling)
                {
                    children[i++] = c;
                }
            }

            if (count > 1)
            {
                children.Sort(new CreateNodeOrder(_nodes));
            }

            _fieldsWriter.WriteStartObject();
            if (member && count > 0)
            {
                _fieldsWriter.WriteStartObject(".");
                _fieldsWriter.WriteEndObject();
            }

            for (i = 0; i < count;)
            {
                var element = _nodes[children[i]].Element;
                var j = i + 1;
                while (j < count && _nodes[children[j]].Element == element)
                {
                    j++;
                }

                _fieldsWriter.WritePropertyName(element);
                WriteGroup(children[i..j]);
                i = j;
            }

            _fieldsWriter.WriteEndObject();
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }
}
