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
    private readonly SortedDictionary<string, FieldSet> _children = new(PathElementComparer.Instance);

    public bool IsMember { get; private set; }

    public IReadOnlyDictionary<string, FieldSet> Children => _children;

    public bool IsEmpty => !IsMember && _children.Count == 0;

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

    public void Remove(IReadOnlyList<string> path)
    {
        var node = Find(path);
        if (node is not null)
        {
            node.IsMember = false;
        }

        Prune();
    }

    /// <summary>Removes a top-level child and everything under it.</summary>
    public void RemoveTree(string element) => _children.Remove(element);

    /// <summary>Every member path, depth first, parents before children.</summary>
    public IEnumerable<IReadOnlyList<string>> Members()
    {
        var stack = new List<string>();
        return Walk(this, stack);

        static IEnumerable<IReadOnlyList<string>> Walk(FieldSet node, List<string> prefix)
        {
            if (node.IsMember)
            {
                yield return prefix.ToArray();
            }

            foreach (var (element, child) in node._children)
            {
                prefix.Add(element);
                foreach (var p in Walk(child, prefix))
                {
                    yield return p;
                }

                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { IsMember = IsMember };
        foreach (var (k, v) in _children)
        {
            copy._children[k] = v.Clone();
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        foreach (var p in other.Members())
        {
            result.Insert(p);
        }

        return result;
    }

    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var p in Members())
        {
            if (!other.Has(p))
            {
                result.Insert(p);
            }
        }

        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var p in Members())
        {
            if (other.Has(p))
            {
                result.Insert(p);
            }
        }

        return result;
    }

    public bool SetEquals(FieldSet other) =>
        Members().Count() == other.Members().Count() && Members().All(other.Has);

    /// <summary>The FieldsV1 JSON object (<c>metadata.managedFields[].fieldsV1</c>).</summary>
    public JsonObject ToFieldsV1()
    {
        var obj = new JsonObject();
        if (IsMember && _children.Count > 0)
        {
            obj["."] = new JsonObject();
        }

        foreach (var (element, child) in _children)
        {
            obj[element] = child.ToFieldsV1();
        }

        return obj;
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
            if (!node._children.TryGetValue(element, out node!))
            {
                return null;
            }
        }

        return node;
    }

    private FieldSet Child(string element)
    {
        if (!_children.TryGetValue(element, out var child))
        {
            child = new FieldSet();
            _children[element] = child;
        }

        return child;
    }

    private bool Prune()
    {
        foreach (var key in _children.Keys.ToList())
        {
            if (_children[key].Prune())
            {
                _children.Remove(key);
            }
        }

        return IsEmpty;
    }

    /// <summary>The key of a list item: <c>k:{...}</c> with the keys sorted, values as JSON.</summary>
    public static string KeyElement(IEnumerable<KeyValuePair<string, JsonNode?>> keys)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in keys.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obj[k] = v?.DeepClone();
        }

        return "k:" + obj.ToJsonString(CompactJson);
    }

    public static string ValueElement(JsonNode? value) => "v:" + (value?.ToJsonString(CompactJson) ?? "null");

    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>structured-merge-diff orders path elements by kind (field, key, value, index), then by text.</summary>
    private sealed class PathElementComparer : IComparer<string>
    {
        public static readonly PathElementComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            static int Rank(string s) => s.Length == 0 ? 9 : s[0] switch { 'f' => 0, 'k' => 1, 'v' => 2, 'i' => 3, _ => 4 };

            var r = Rank(x!).CompareTo(Rank(y!));
            return r != 0 ? r : string.CompareOrdinal(x, y);
        }
    }
}
