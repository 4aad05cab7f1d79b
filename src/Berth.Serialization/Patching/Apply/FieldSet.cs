using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Serialization.Patching.Apply;

/// <summary>
/// A set of field paths in structured-merge-diff's shape, stored as the tree that FieldsV1 serialises: children
/// keyed by path element strings (<c>f:name</c>, <c>k:{"name":"x"}</c>, <c>v:"x"</c>, <c>i:0</c>), and a member
/// flag for paths that are themselves in the set (written as <c>".": {}</c> when the node also has children).
/// </summary>
internal sealed class FieldSet
{
    // Unordered: the structured-merge-diff order is applied only where it shows (FieldsV1, Members). Every write records
    // managedFields, so these operations are on the API server's hot path (docs/benchmarks.md, registry group).
    private Dictionary<string, FieldSet>? _children;

    private static readonly Dictionary<string, FieldSet> NoChildren = new(0, StringComparer.Ordinal);

    public bool IsMember { get; private set; }

    public IReadOnlyDictionary<string, FieldSet> Children => _children ?? NoChildren;

    public bool IsEmpty => !IsMember && (_children is null || _children.Count == 0);

    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            node = node.Child(element);
        }

        node.IsMember = true;
    }

    public bool Has(IReadOnlyList<string> path)
    {
        var node = Find(path);
        return node is not null && node.IsMember;
    }

    /// <summary>True when the path or anything below it is in the set.</summary>
    public bool HasAnyUnder(IReadOnlyList<string> path)
    {
        var node = Find(path);
        return node is not null && !node.IsEmpty;
    }

    /// <summary>Takes <paramref name="path"/> out of the set and drops the nodes it leaves empty along that path.</summary>
    public void Remove(IReadOnlyList<string> path)
    {
        RemoveAt(this, path, 0);

        static void RemoveAt(FieldSet node, IReadOnlyList<string> path, int depth)
        {
            if (depth == path.Count)
            {
                node.IsMember = false;
                return;
            }

            if (node._children is null || !node._children.TryGetValue(path[depth], out var child))
            {
                return;
            }

            RemoveAt(child, path, depth + 1);
            if (child.IsEmpty)
            {
                node._children.Remove(path[depth]);
            }
        }
    }

    /// <summary>Removes a top-level child and everything under it.</summary>
    public void RemoveTree(string element) => _children?.Remove(element);

    /// <summary>Every member path, depth first in structured-merge-diff order, parents before children.</summary>
    public IEnumerable<IReadOnlyList<string>> Members()
    {
        var result = new List<IReadOnlyList<string>>();
        Collect(this, [], result);
        return result;

        static void Collect(FieldSet node, List<string> prefix, List<IReadOnlyList<string>> result)
        {
            if (node.IsMember)
            {
                result.Add(prefix.ToArray());
            }

            foreach (var (element, child) in node.Ordered())
            {
                prefix.Add(element);
                Collect(child, prefix, result);
                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { IsMember = IsMember };
        if (_children is not null)
        {
            copy._children = new Dictionary<string, FieldSet>(_children.Count, StringComparer.Ordinal);
            foreach (var (k, v) in _children)
            {
                copy._children[k] = v.Clone();
            }
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.UnionWith(other);
        return result;
    }

    private void UnionWith(FieldSet other)
    {
        IsMember |= other.IsMember;
        if (other._children is null)
        {
            return;
        }

        foreach (var (k, v) in other._children)
        {
            Child(k).UnionWith(v);
        }
    }

    /// <summary>The members of this set that are not members of <paramref name="other"/>.</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && !other.IsMember };
        if (_children is null)
        {
            return result;
        }

        foreach (var (k, v) in _children)
        {
            var child = other._children is not null && other._children.TryGetValue(k, out var o) ? v.Difference(o) : v.Clone();
            if (!child.IsEmpty)
            {
                (result._children ??= new(StringComparer.Ordinal))[k] = child;
            }
        }

        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && other.IsMember };
        if (_children is null || other._children is null)
        {
            return result;
        }

        foreach (var (k, v) in _children)
        {
            if (other._children.TryGetValue(k, out var o))
            {
                var child = v.Intersection(o);
                if (!child.IsEmpty)
                {
                    (result._children ??= new(StringComparer.Ordinal))[k] = child;
                }
            }
        }

        return result;
    }

    /// <summary>Same members (empty nodes, which a set never keeps after its operations, are ignored).</summary>
    public bool SetEquals(FieldSet other)
    {
        if (IsMember != other.IsMember)
        {
            return false;
        }

        var mine = _children?.Where(c => !c.Value.IsEmpty).ToList() ?? [];
        var theirs = other._children?.Where(c => !c.Value.IsEmpty).ToList() ?? [];
        if (mine.Count != theirs.Count)
        {
            return false;
        }

        foreach (var (k, v) in mine)
        {
            if (other._children is null || !other._children.TryGetValue(k, out var o) || !v.SetEquals(o))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The FieldsV1 JSON object (<c>metadata.managedFields[].fieldsV1</c>).</summary>
    public JsonObject ToFieldsV1()
    {
        var obj = new JsonObject();
        if (IsMember && _children is { Count: > 0 })
        {
            obj["."] = new JsonObject();
        }

        foreach (var (element, child) in Ordered())
        {
            obj[element] = child.ToFieldsV1();
        }

        return obj;
    }

    /// <summary>The FieldsV1 object written as UTF-8 JSON (what a model's fieldsV1 can hold as <see cref="RawJson"/>).</summary>
    public RawJson ToFieldsV1Json()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CompactJson.Encoder }))
        {
            Write(this, writer);
        }

        return new RawJson(buffer.WrittenMemory);

        static void Write(FieldSet node, Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            if (node.IsMember && node._children is { Count: > 0 })
            {
                writer.WriteStartObject(".");
                writer.WriteEndObject();
            }

            foreach (var (element, child) in node.Ordered())
            {
                writer.WritePropertyName(element);
                Write(child, writer);
            }

            writer.WriteEndObject();
        }
    }

    public static FieldSet FromFieldsV1(JsonNode? fieldsV1)
    {
        var set = new FieldSet();
        if (fieldsV1 is JsonObject obj)
        {
            Read(set, obj);
        }

        return set;

        static void Read(FieldSet node, JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (key == ".")
                {
                    node.IsMember = true;
                    continue;
                }

                var child = node.Child(key);
                if (value is JsonObject childObj && childObj.Count > 0)
                {
                    Read(child, childObj);
                }
                else
                {
                    child.IsMember = true;
                }
            }
        }
    }

    /// <summary>The children in structured-merge-diff order.</summary>
    private IEnumerable<KeyValuePair<string, FieldSet>> Ordered() =>
        _children is null ? [] : _children.OrderBy(c => c.Key, PathElementComparer.Instance);

    /// <summary>structured-merge-diff's Path.String(): <c>.spec.containers[name="pg"].image</c>.</summary>
    public static string PathString(IReadOnlyList<string> path)
    {
        var sb = new StringBuilder();
        foreach (var element in path)
        {
            var body = element.Length > 2 ? element[2..] : "";
            switch (element[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    sb.Append('[');
                    if (JsonNode.Parse(body) is JsonObject keys)
                    {
                        sb.AppendJoin(',', keys.Select(kv => kv.Key + "=" + kv.Value?.ToJsonString()));
                    }

                    sb.Append(']');
                    break;
                case 'v':
                    sb.Append("[=").Append(body).Append(']');
                    break;
                default:
                    sb.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return sb.ToString();
    }

    private FieldSet? Find(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            if (node._children is null || !node._children.TryGetValue(element, out node!))
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>Marks this node's own path as a member.</summary>
    internal void MarkMember() => IsMember = true;

    /// <summary>Drops the child <paramref name="element"/> when nothing under it is in the set.</summary>
    internal void DropIfEmpty(string element)
    {
        if (_children is not null && _children.TryGetValue(element, out var child) && child.IsEmpty)
        {
            _children.Remove(element);
        }
    }

    /// <summary>Room for <paramref name="count"/> children, so a node filled from a JSON object grows once.</summary>
    internal void ReserveChildren(int count) => _children ??= new Dictionary<string, FieldSet>(count, StringComparer.Ordinal);

    /// <summary>The child node for <paramref name="element"/>, created empty when absent.</summary>
    internal FieldSet Child(string element)
    {
        _children ??= new Dictionary<string, FieldSet>(StringComparer.Ordinal);
        if (!_children.TryGetValue(element, out var child))
        {
            child = new FieldSet();
            _children[element] = child;
        }

        return child;
    }

    /// <summary>The key of a list item: <c>k:{...}</c> with the keys sorted, values as JSON.</summary>
    public static string KeyElement(IEnumerable<KeyValuePair<string, JsonNode?>> keys)
    {
        var sorted = keys.ToArray();
        if (sorted.Length > 1)
        {
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        // Written straight to UTF-8 (every list item of every write has one of these): the same text as a
        // JsonObject of the pairs printed compactly with relaxed escaping.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        buffer.Write("k:"u8);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CompactJson.Encoder, SkipValidation = true }))
        {
            writer.WriteStartObject();
            string? previous = null;
            foreach (var (k, v) in sorted)
            {
                if (k == previous)
                {
                    continue;
                }

                previous = k;
                writer.WritePropertyName(k);
                if (v is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    v.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>"f:" + <paramref name="field"/>, shared for the bounded vocabulary of model field names.</summary>
    public static string FieldElement(string field, bool modelField)
    {
        if (!modelField)
        {
            return "f:" + field;
        }

        return FieldElements.TryGetValue(field, out var element) ? element : FieldElements.GetOrAdd(field, static f => "f:" + f);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> FieldElements = new(StringComparer.Ordinal);

    public static string ValueElement(JsonNode? value) => "v:" + (value?.ToJsonString(CompactJson) ?? "null");

    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>structured-merge-diff orders path elements by kind (field, key, value, index), then by text.</summary>
    internal static int ComparePathElements(string x, string y)
    {
        static int Rank(string s) => s.Length == 0 ? 9 : s[0] switch { 'f' => 0, 'k' => 1, 'v' => 2, 'i' => 3, _ => 4 };

        var r = Rank(x).CompareTo(Rank(y));
        return r != 0 ? r : string.CompareOrdinal(x, y);
    }

    /// <summary><see cref="ComparePathElements"/> as a comparer.</summary>
    private sealed class PathElementComparer : IComparer<string>
    {
        public static readonly PathElementComparer Instance = new();

        public int Compare(string? x, string? y) => ComparePathElements(x!, y!);
    }
}
