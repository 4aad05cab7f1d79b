using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Berth.ApiServer.Http;
using Berth.Core;
using Berth.Serialization;

namespace Berth.ApiServer.Registry;

/// <summary>
/// Moves objects between the JSON tree the pipeline edits and the KubernetesClient models that defaulting and
/// validation read. Decoding drops unknown fields, as upstream's decoder does; <see cref="FindUnknownFields"/>
/// reports them first so fieldValidation can warn or refuse with upstream's strict-decoding messages.
/// </summary>
internal static class ModelCodec
{
    public static object Decode(ResourceDescriptor resource, JsonObject node)
    {
        try
        {
            return BerthJson.Deserialize(node, resource.ModelType) ?? throw DecodedToNull(resource);
        }
        catch (Exception e) when (IsDecodeError(e))
        {
            throw CannotBeHandled(resource, e);
        }
    }

    /// <summary><see cref="Decode(ResourceDescriptor, JsonObject)"/> of stored or received bytes.</summary>
    public static object Decode(ResourceDescriptor resource, ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, BerthJson.Options.GetTypeInfo(resource.ModelType)) ?? throw DecodedToNull(resource);
        }
        catch (Exception e) when (IsDecodeError(e))
        {
            throw CannotBeHandled(resource, e);
        }
    }

    /// <summary>
    /// The model's <c>status</c> property (null for kinds without one), looked up once per type in the source-generated
    /// contract: its accessors read and set the status without reflection over the model.
    /// </summary>
    public static JsonPropertyInfo? StatusProperty(Type modelType) =>
        StatusProperties.GetOrAdd(modelType, static t => BerthJson.Options.GetTypeInfo(t).Properties.FirstOrDefault(p => p.Name == "status"));

    private static readonly ConcurrentDictionary<Type, JsonPropertyInfo?> StatusProperties = new();

    /// <summary>What decoding client JSON into a model throws for bad input (a 400, never a 500).</summary>
    public static bool IsDecodeError(Exception e) => e is JsonException or FormatException or InvalidOperationException or ArgumentException
        or OverflowException or NotSupportedException;

    private static ApiException DecodedToNull(ResourceDescriptor resource) =>
        Errors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: null");

    // upstream: `StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal ...`
    private static ApiException CannotBeHandled(ResourceDescriptor resource, Exception e) =>
        Errors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {Describe(e)}");

    public static JsonObject Encode(ResourceDescriptor resource, object model) =>
        BerthJson.SerializeToNode(model, resource.ModelType)?.AsObject()
        ?? throw new InvalidOperationException("a model encoded to null");

    /// <summary>
    /// The model as the stored JSON bytes, written straight from the model: the same text as
    /// <see cref="ObjectRegistry.Serialize"/> of <see cref="Encode"/> (the writer's encoder escapes strings and map
    /// keys; property names are ASCII), without building the JSON tree in between.
    /// </summary>
    public static byte[] EncodeBytes(ResourceDescriptor resource, object model) =>
        StoredJsonWriter.Write(model, BerthJson.Options.GetTypeInfo(resource.ModelType));

    /// <summary>
    /// <see cref="Decode(ResourceDescriptor, ReadOnlySpan{byte})"/> of a body that <see cref="IsPlainObject"/> accepted, or
    /// null when the bytes do not decode (a value of the wrong JSON type, nesting past the serializer's depth): the caller
    /// then takes the JSON tree path, whose checks come first there and give upstream's messages.
    /// </summary>
    public static object? TryDecode(ResourceDescriptor resource, ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, BerthJson.Options.GetTypeInfo(resource.ModelType));
        }
        catch (Exception e) when (IsDecodeError(e))
        {
            return null;
        }
    }

    // The duplicate check compares each name with its object's earlier ones: past this many (a large ConfigMap), the tree
    // path's hashed parse is the cheaper one.
    private const int MaxScannedProperties = 128;

    /// <summary>
    /// True when <paramref name="json"/> is one JSON object that decodes into <paramref name="modelType"/> with nothing
    /// the JSON tree path would report: valid UTF-8, no duplicate property name at any depth (the tree's parser refuses
    /// them), no field the model lacks (so no strict-decoding error or warning), no escaped property names. One reader
    /// pass and no allocation per property, so bodies clients build from models (kubectl, KubernetesClient, the
    /// controllers in process) skip the tree. Anything else, malformed JSON included, answers false, never throws.
    /// </summary>
    public static bool IsPlainObject(Type modelType, ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || !System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        var names = new List<(int Start, int Length)>(32);
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && ScanContainer(ref reader, json, Shape.Of(modelType), names)
                && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Scans the object or array the reader is on, through its end. <paramref name="shape"/> null: only duplicates are
    /// checked (free-form values, or JSON of another type than the model's, which decoding then refuses).
    /// </summary>
    private static bool ScanContainer(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Shape? shape, List<(int Start, int Length)> names)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var elementShape = shape is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } elementType } ? Shape.Of(elementType) : null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !ScanContainer(ref reader, json, elementShape, names))
                {
                    return false;
                }
            }

            return true;
        }

        var isStruct = shape is { Kind: JsonTypeInfoKind.Object };
        var valueShape = shape is { Kind: JsonTypeInfoKind.Dictionary, ElementType: { } valueType } ? Shape.Of(valueType) : null;
        var mark = names.Count;
        Span<char> chars = stackalloc char[64];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return false;
            }

            var name = reader.ValueSpan;
            if (names.Count - mark >= MaxScannedProperties)
            {
                return false;
            }

            for (var i = mark; i < names.Count; i++)
            {
                if (json.Slice(names[i].Start, names[i].Length).SequenceEqual(name))
                {
                    return false;
                }
            }

            names.Add(((int)reader.TokenStartIndex + 1, name.Length));
            var childShape = valueShape;
            if (isStruct)
            {
                // Property names of the models are short ASCII: a longer name is unknown anyway.
                if (name.Length > chars.Length)
                {
                    return false;
                }

                var n = System.Text.Encoding.UTF8.GetChars(name, chars);
                if (!shape!.PropertyLookup.TryGetValue(chars[..n], out var propertyType))
                {
                    return false;
                }

                childShape = Shape.Of(propertyType);
            }

            reader.Read();
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !ScanContainer(ref reader, json, childShape, names))
            {
                return false;
            }
        }

        names.RemoveRange(mark, names.Count - mark);
        return true;
    }

    /// <summary>Unknown field paths in upstream's form (<c>spec.template.spec.containers[0].bogus</c>).</summary>
    public static List<string> FindUnknownFields(Type modelType, JsonObject node)
    {
        var found = new List<string>();
        Walk(Shape.Of(modelType), node, "", found);
        return found;
    }

    private static void Walk(Shape shape, JsonNode? node, string path, List<string> found)
    {
        if (node is null)
        {
            return;
        }

        switch (shape.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var childPath = path.Length == 0 ? name : path + "." + name;
                    if (!shape.Properties.TryGetValue(name, out var propertyType))
                    {
                        found.Add(childPath);
                        continue;
                    }

                    if (value is JsonObject or JsonArray)
                    {
                        Walk(Shape.Of(propertyType), value, childPath, found);
                    }
                }

                break;
            case JsonTypeInfoKind.Enumerable when node is JsonArray array && shape.ElementType is { } elementType:
                var elementShape = Shape.Of(elementType);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject or JsonArray)
                    {
                        Walk(elementShape, array[i], $"{path}[{i}]", found);
                    }
                }

                break;
            case JsonTypeInfoKind.Dictionary when node is JsonObject map && shape.ElementType is { } valueType:
                var valueShape = Shape.Of(valueType);
                foreach (var (key, value) in map)
                {
                    if (value is JsonObject or JsonArray)
                    {
                        Walk(valueShape, value, path + "." + key, found);
                    }
                }

                break;
            default:
                // Leaves: scalars, IntOrString, Quantity, and free-form RawExtension (object) values.
                break;
        }
    }

    /// <summary>
    /// What the unknown-field walk needs of a model type, looked up once per type: every create and update walks
    /// its body, and a linear search of the serializer's property list per JSON property was a measurable part of
    /// each write (docs/benchmarks.md, registry group).
    /// </summary>
    private sealed class Shape
    {
        private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

        private Shape(JsonTypeInfo info)
        {
            Kind = info.Kind;
            ElementType = info.ElementType;
            Properties = info.Kind == JsonTypeInfoKind.Object
                ? info.Properties.GroupBy(p => p.Name, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.First().PropertyType, StringComparer.Ordinal)
                : FrozenDictionary<string, Type>.Empty;
            PropertyLookup = Properties.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public JsonTypeInfoKind Kind { get; }

        public Type? ElementType { get; }

        public FrozenDictionary<string, Type> Properties { get; }

        public FrozenDictionary<string, Type>.AlternateLookup<ReadOnlySpan<char>> PropertyLookup { get; }

        public static Shape Of(Type type) => Shapes.GetOrAdd(type, t => new Shape(BerthJson.Options.GetTypeInfo(t)));
    }

    private static string Describe(Exception e)
    {
        var message = e.Message;
        if (e is JsonException { Path: { Length: > 0 } path } && !message.Contains(path, StringComparison.Ordinal))
        {
            message += " Path: " + path;
        }

        return message;
    }
}
