using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Http.Protobuf;

/// <summary>
/// Request bodies in <c>application/vnd.kubernetes.protobuf</c>, which kubectl 1.32+ sends for its typed writes
/// (<c>kubectl create configmap|secret|namespace|serviceaccount</c>, drain's DELETE with DeleteOptions): the
/// <c>k8s\0</c> magic, a <c>runtime.Unknown</c> envelope (typeMeta, raw), and the object's message in raw, turned
/// into the JSON the registry takes, with the JSON encoding's rules (omitempty fields left out, bytes as base64,
/// times as RFC 3339). Field numbers are upstream's generated.proto (k8s.io/apimachinery runtime and meta/v1,
/// k8s.io/api core/v1). Written by hand: these messages have no .NET models to hand to a protobuf library, and the
/// wire format for the handful of messages needed is small (see <see cref="ProtoReader"/>).
/// </summary>
internal static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>upstream protobuf serializer's prefix: "k8s" and a zero byte.</summary>
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    /// <summary>The kinds whose messages are decoded; any other kind keeps the 415 upstream would not give.</summary>
    public static readonly IReadOnlySet<string> DecodedKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        "ConfigMap", "Secret", "Namespace", "ServiceAccount", "DeleteOptions",
    };

    // The string fields with omitempty of each message: what is read through StringFieldOrSkip and StringFields.

    private static readonly StringField[] ObjectMetaStrings =
    [
        new(1, "name", "Name"), new(2, "generateName", "GenerateName"), new(3, "namespace", "Namespace"),
        new(4, "selfLink", "SelfLink"), new(5, "uid", "UID"), new(6, "resourceVersion", "ResourceVersion"),
    ];

    private static readonly StringField[] ManagedFieldsEntryStrings =
    [
        new(1, "manager", "Manager"), new(2, "operation", "Operation"), new(3, "apiVersion", "APIVersion"),
        new(6, "fieldsType", "FieldsType"), new(8, "subresource", "Subresource"),
    ];

    private static readonly StringField[] ObjectReferenceStrings =
    [
        new(1, "kind", "Kind"), new(2, "namespace", "Namespace"), new(3, "name", "Name"), new(4, "uid", "UID"),
        new(5, "apiVersion", "APIVersion"), new(6, "resourceVersion", "ResourceVersion"), new(7, "fieldPath", "FieldPath"),
    ];

    private static readonly StringField[] LocalObjectReferenceStrings = [new(1, "name", "Name")];

    private static readonly StringField[] NamespaceStatusStrings = [new(1, "phase", "Phase")];

    /// <summary>
    /// The object a protobuf body holds, as JSON, for a request to a resource of kind <paramref name="expectedKind"/>.
    /// A body that is not protobuf, or whose message does not decode, is a 400 with upstream's wording; a well-formed
    /// envelope around a kind this decoder does not know is a 415.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body, string expectedKind)
    {
        if (body.IsEmpty)
        {
            throw Errors.BadRequest("the body of the request was empty");
        }

        if (!body.StartsWith(Magic))
        {
            // upstream protobuf.Serializer.Decode, then the handler's transformDecodeError.
            throw Errors.BadRequest($"the object provided is unrecognized (must be of type {expectedKind}): provided data does not appear to "
                + $"be a protobuf message, expected prefix [107 56 115 0] ({Summary(body)})");
        }

        string apiVersion, kind;
        ReadOnlySpan<byte> raw;
        try
        {
            raw = ReadUnknown(body[Magic.Length..], out apiVersion, out kind);
        }
        catch (ProtobufFormatException e)
        {
            throw Errors.BadRequest($"the object provided is unrecognized (must be of type {expectedKind}): {e.Message} ({Summary(body)})");
        }

        if (!DecodedKinds.Contains(kind))
        {
            throw Errors.UnsupportedMediaType();
        }

        var version = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..] : apiVersion;
        try
        {
            var obj = kind switch
            {
                "ConfigMap" => ConfigMap(raw),
                "Secret" => Secret(raw),
                "Namespace" => Namespace(raw),
                "ServiceAccount" => ServiceAccount(raw),
                _ => DeleteOptions(raw),
            };
            var typed = new JsonObject();
            if (apiVersion.Length > 0)
            {
                typed["apiVersion"] = apiVersion;
            }

            typed["kind"] = kind;
            foreach (var (k, v) in obj.ToList())
            {
                obj.Remove(k);
                typed[k] = v;
            }

            return typed;
        }
        catch (ProtobufFormatException e)
        {
            // upstream transformDecodeError with the envelope's group/version/kind known.
            throw Errors.BadRequest($"{kind} in version {Quote(version)} cannot be handled as a {expectedKind}: {e.Message}");
        }
    }

    /// <summary>runtime.Unknown { TypeMeta typeMeta = 1; bytes raw = 2; string contentEncoding = 3; string contentType = 4; }.</summary>
    private static ReadOnlySpan<byte> ReadUnknown(ReadOnlySpan<byte> data, out string apiVersion, out string kind)
    {
        var reader = new ProtoReader(data);
        apiVersion = "";
        kind = "";
        ReadOnlySpan<byte> raw = default;
        var contentEncoding = "";
        while (reader.TryReadTag("Unknown", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    var typeMeta = new ProtoReader(LengthDelimited(ref reader, wireType, "TypeMeta"));
                    while (typeMeta.TryReadTag("TypeMeta", out var f, out var w))
                    {
                        switch (f)
                        {
                            case 1:
                                apiVersion = String(ref typeMeta, w, "APIVersion");
                                break;
                            case 2:
                                kind = String(ref typeMeta, w, "Kind");
                                break;
                            default:
                                typeMeta.Skip(w);
                                break;
                        }
                    }

                    break;
                case 2:
                    raw = LengthDelimited(ref reader, wireType, "Raw");
                    break;
                case 3:
                    contentEncoding = String(ref reader, wireType, "ContentEncoding");
                    break;
                case 4:
                    String(ref reader, wireType, "ContentType");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        if (contentEncoding.Length > 0)
        {
            // upstream never sends an encoded raw; refuse rather than misread it.
            throw new ProtobufFormatException($"unsupported content encoding {Quote(contentEncoding)}");
        }

        return raw;
    }

    // ---- core/v1 ---------------------------------------------------------------------------------------------

    private static JsonObject ConfigMap(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        JsonObject? map = null, binary = null;
        while (reader.TryReadTag("ConfigMap", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    obj["metadata"] = ObjectMeta(LengthDelimited(ref reader, wireType, "ObjectMeta"));
                    break;
                case 2:
                    MapEntry(LengthDelimited(ref reader, wireType, "Data"), map ??= [], bytesValue: false);
                    break;
                case 3:
                    MapEntry(LengthDelimited(ref reader, wireType, "BinaryData"), binary ??= [], bytesValue: true);
                    break;
                case 4:
                    obj["immutable"] = Bool(ref reader, wireType, "Immutable");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        SetIfAny(obj, "data", map);
        SetIfAny(obj, "binaryData", binary);
        return obj;
    }

    private static JsonObject Secret(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        JsonObject? map = null, strings = null;
        while (reader.TryReadTag("Secret", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    obj["metadata"] = ObjectMeta(LengthDelimited(ref reader, wireType, "ObjectMeta"));
                    break;
                case 2:
                    MapEntry(LengthDelimited(ref reader, wireType, "Data"), map ??= [], bytesValue: true);
                    break;
                case 3:
                    SetIfNotEmpty(obj, "type", String(ref reader, wireType, "Type"));
                    break;
                case 4:
                    MapEntry(LengthDelimited(ref reader, wireType, "StringData"), strings ??= [], bytesValue: false);
                    break;
                case 5:
                    obj["immutable"] = Bool(ref reader, wireType, "Immutable");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        SetIfAny(obj, "data", map);
        SetIfAny(obj, "stringData", strings);
        return obj;
    }

    private static JsonObject Namespace(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        while (reader.TryReadTag("Namespace", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    obj["metadata"] = ObjectMeta(LengthDelimited(ref reader, wireType, "ObjectMeta"));
                    break;
                case 2:
                    // NamespaceSpec { repeated string finalizers = 1; }
                    var spec = new JsonObject();
                    SetIfAny(spec, "finalizers", RepeatedString(LengthDelimited(ref reader, wireType, "Spec"), "NamespaceSpec", 1, "Finalizers"));
                    obj["spec"] = spec;
                    break;
                case 3:
                    // The status a client sends is replaced on create (upstream PrepareForCreate); its phase is kept
                    // for updates, its conditions are not read.
                    obj["status"] = StringFields(LengthDelimited(ref reader, wireType, "Status"), "NamespaceStatus", NamespaceStatusStrings);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return obj;
    }

    private static JsonObject ServiceAccount(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        JsonArray? secrets = null, pullSecrets = null;
        while (reader.TryReadTag("ServiceAccount", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    obj["metadata"] = ObjectMeta(LengthDelimited(ref reader, wireType, "ObjectMeta"));
                    break;
                case 2:
                    (secrets ??= []).Add((JsonNode?)StringFields(LengthDelimited(ref reader, wireType, "Secrets"), "ObjectReference", ObjectReferenceStrings));
                    break;
                case 3:
                    (pullSecrets ??= []).Add((JsonNode?)StringFields(LengthDelimited(ref reader, wireType, "ImagePullSecrets"), "LocalObjectReference",
                        LocalObjectReferenceStrings));
                    break;
                case 4:
                    obj["automountServiceAccountToken"] = Bool(ref reader, wireType, "AutomountServiceAccountToken");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        SetIfAny(obj, "secrets", secrets);
        SetIfAny(obj, "imagePullSecrets", pullSecrets);
        return obj;
    }

    // ---- meta/v1 ---------------------------------------------------------------------------------------------

    private static JsonObject ObjectMeta(ReadOnlySpan<byte> data)
    {
        var meta = new JsonObject();
        var reader = new ProtoReader(data);
        JsonObject? labels = null, annotations = null;
        JsonArray? owners = null, finalizers = null, managed = null;
        while (reader.TryReadTag("ObjectMeta", out var field, out var wireType))
        {
            switch (field)
            {
                case 7:
                    var generation = Int64(ref reader, wireType, "Generation");
                    if (generation != 0)
                    {
                        meta["generation"] = generation;
                    }

                    break;
                case 8:
                    SetIfNotNull(meta, "creationTimestamp", Time(LengthDelimited(ref reader, wireType, "CreationTimestamp")));
                    break;
                case 9:
                    SetIfNotNull(meta, "deletionTimestamp", Time(LengthDelimited(ref reader, wireType, "DeletionTimestamp")));
                    break;
                case 10:
                    meta["deletionGracePeriodSeconds"] = Int64(ref reader, wireType, "DeletionGracePeriodSeconds");
                    break;
                case 11:
                    MapEntry(LengthDelimited(ref reader, wireType, "Labels"), labels ??= [], bytesValue: false);
                    break;
                case 12:
                    MapEntry(LengthDelimited(ref reader, wireType, "Annotations"), annotations ??= [], bytesValue: false);
                    break;
                case 13:
                    (owners ??= []).Add((JsonNode?)OwnerReference(LengthDelimited(ref reader, wireType, "OwnerReferences")));
                    break;
                case 14:
                    (finalizers ??= []).Add((JsonNode?)String(ref reader, wireType, "Finalizers"));
                    break;
                case 17:
                    (managed ??= []).Add((JsonNode?)ManagedFieldsEntry(LengthDelimited(ref reader, wireType, "ManagedFields")));
                    break;
                default:
                    StringFieldOrSkip(ref reader, field, wireType, meta, ObjectMetaStrings);
                    break;
            }
        }

        SetIfAny(meta, "labels", labels);
        SetIfAny(meta, "annotations", annotations);
        SetIfAny(meta, "ownerReferences", owners);
        SetIfAny(meta, "finalizers", finalizers);
        SetIfAny(meta, "managedFields", managed);
        return meta;
    }

    private static JsonObject OwnerReference(ReadOnlySpan<byte> data)
    {
        // apiVersion, kind, name and uid have no omitempty upstream: always written.
        string apiVersion = "", kind = "", name = "", uid = "";
        bool? controller = null, block = null;
        var reader = new ProtoReader(data);
        while (reader.TryReadTag("OwnerReference", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    kind = String(ref reader, wireType, "Kind");
                    break;
                case 3:
                    name = String(ref reader, wireType, "Name");
                    break;
                case 4:
                    uid = String(ref reader, wireType, "UID");
                    break;
                case 5:
                    apiVersion = String(ref reader, wireType, "APIVersion");
                    break;
                case 6:
                    controller = Bool(ref reader, wireType, "Controller");
                    break;
                case 7:
                    block = Bool(ref reader, wireType, "BlockOwnerDeletion");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = name, ["uid"] = uid };
        if (controller is { } c)
        {
            obj["controller"] = c;
        }

        if (block is { } b)
        {
            obj["blockOwnerDeletion"] = b;
        }

        return obj;
    }

    private static JsonObject ManagedFieldsEntry(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        while (reader.TryReadTag("ManagedFieldsEntry", out var field, out var wireType))
        {
            switch (field)
            {
                case 4:
                    SetIfNotNull(obj, "time", Time(LengthDelimited(ref reader, wireType, "Time")));
                    break;
                case 7:
                    // FieldsV1 { bytes Raw = 1 }: the field set's JSON text.
                    var fields = new ProtoReader(LengthDelimited(ref reader, wireType, "FieldsV1"));
                    while (fields.TryReadTag("FieldsV1", out var f, out var w))
                    {
                        if (f != 1)
                        {
                            fields.Skip(w);
                            continue;
                        }

                        var raw = LengthDelimited(ref fields, w, "Raw");
                        try
                        {
                            obj["fieldsV1"] = JsonNode.Parse(raw);
                        }
                        catch (JsonException e)
                        {
                            throw new ProtobufFormatException("invalid fieldsV1: " + e.Message);
                        }
                    }

                    break;
                default:
                    StringFieldOrSkip(ref reader, field, wireType, obj, ManagedFieldsEntryStrings);
                    break;
            }
        }

        return obj;
    }

    /// <summary>
    /// metav1.Time { int64 seconds = 1; int32 nanos = 2; } as its JSON form (RFC 3339, whole seconds, UTC), or null for
    /// the empty message, which upstream's Time.Unmarshal reads as the zero time (what kubectl sends for an unset
    /// creationTimestamp).
    /// </summary>
    private static string? Time(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return null;
        }

        long seconds = 0;
        var reader = new ProtoReader(data);
        while (reader.TryReadTag("Timestamp", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    seconds = Int64(ref reader, wireType, "Seconds");
                    break;
                case 2:
                    Int64(ref reader, wireType, "Nanos");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        // Go's time.Unix accepts any int64; .NET's range is years 1-9999.
        const long Min = -62135596800, Max = 253402300799;
        if (seconds is < Min or > Max)
        {
            throw new ProtobufFormatException($"proto: time out of range: {seconds.ToString(CultureInfo.InvariantCulture)}");
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static JsonObject DeleteOptions(ReadOnlySpan<byte> data)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        JsonArray? dryRun = null;
        while (reader.TryReadTag("DeleteOptions", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    obj["gracePeriodSeconds"] = Int64(ref reader, wireType, "GracePeriodSeconds");
                    break;
                case 2:
                    var preconditions = new JsonObject();
                    var pre = new ProtoReader(LengthDelimited(ref reader, wireType, "Preconditions"));
                    while (pre.TryReadTag("Preconditions", out var f, out var w))
                    {
                        switch (f)
                        {
                            case 1:
                                preconditions["uid"] = String(ref pre, w, "UID");
                                break;
                            case 2:
                                preconditions["resourceVersion"] = String(ref pre, w, "ResourceVersion");
                                break;
                            default:
                                pre.Skip(w);
                                break;
                        }
                    }

                    obj["preconditions"] = preconditions;
                    break;
                case 3:
                    obj["orphanDependents"] = Bool(ref reader, wireType, "OrphanDependents");
                    break;
                case 4:
                    obj["propagationPolicy"] = String(ref reader, wireType, "PropagationPolicy");
                    break;
                case 5:
                    (dryRun ??= []).Add((JsonNode?)String(ref reader, wireType, "DryRun"));
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        SetIfAny(obj, "dryRun", dryRun);
        return obj;
    }

    // ---- fields ----------------------------------------------------------------------------------------------

    /// <summary>One map entry message { key = 1; value = 2; } into <paramref name="map"/>; bytes values as base64.</summary>
    private static void MapEntry(ReadOnlySpan<byte> data, JsonObject map, bool bytesValue)
    {
        var key = "";
        JsonNode value = "";
        var reader = new ProtoReader(data);
        while (reader.TryReadTag("MapEntry", out var field, out var wireType))
        {
            switch (field)
            {
                case 1:
                    key = String(ref reader, wireType, "key");
                    break;
                case 2:
                    value = bytesValue
                        ? Convert.ToBase64String(LengthDelimited(ref reader, wireType, "value"))
                        : String(ref reader, wireType, "value");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        // A key given twice keeps the last value, as Go's map assignment does.
        map[key] = value;
    }

    /// <summary>A message whose decoded fields are all strings with omitempty; its other fields are skipped.</summary>
    private static JsonObject StringFields(ReadOnlySpan<byte> data, string message, StringField[] strings)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        while (reader.TryReadTag(message, out var field, out var wireType))
        {
            StringFieldOrSkip(ref reader, field, wireType, obj, strings);
        }

        return obj;
    }

    /// <summary>Field <paramref name="field"/> into <paramref name="obj"/> if <paramref name="strings"/> names it, else skipped.</summary>
    private static void StringFieldOrSkip(ref ProtoReader reader, int field, int wireType, JsonObject obj, StringField[] strings)
    {
        foreach (var s in strings)
        {
            if (s.Number == field)
            {
                SetIfNotEmpty(obj, s.JsonName, String(ref reader, wireType, s.GoName));
                return;
            }
        }

        reader.Skip(wireType);
    }

    /// <summary>Every value of one repeated string field of a message; its other fields are skipped.</summary>
    private static JsonArray RepeatedString(ReadOnlySpan<byte> data, string message, int number, string goName)
    {
        var values = new JsonArray();
        var reader = new ProtoReader(data);
        while (reader.TryReadTag(message, out var field, out var wireType))
        {
            if (field == number)
            {
                values.Add((JsonNode?)String(ref reader, wireType, goName));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return values;
    }

    private static ReadOnlySpan<byte> LengthDelimited(scoped ref ProtoReader reader, int wireType, string field)
    {
        if (wireType != 2)
        {
            throw WrongWireType(wireType, field);
        }

        return reader.ReadLengthDelimited();
    }

    private static string String(ref ProtoReader reader, int wireType, string field) =>
        Encoding.UTF8.GetString(LengthDelimited(ref reader, wireType, field));

    private static long Int64(ref ProtoReader reader, int wireType, string field)
    {
        if (wireType != 0)
        {
            throw WrongWireType(wireType, field);
        }

        return (long)reader.ReadVarint();
    }

    private static bool Bool(ref ProtoReader reader, int wireType, string field)
    {
        if (wireType != 0)
        {
            throw WrongWireType(wireType, field);
        }

        return reader.ReadVarint() != 0;
    }

    private static ProtobufFormatException WrongWireType(int wireType, string field) =>
        new($"proto: wrong wireType = {wireType} for field {field}");

    private static void SetIfNotEmpty(JsonObject obj, string name, string value)
    {
        if (value.Length > 0)
        {
            obj[name] = value;
        }
    }

    private static void SetIfNotNull(JsonObject obj, string name, string? value)
    {
        if (value is not null)
        {
            obj[name] = value;
        }
    }

    private static void SetIfAny(JsonObject obj, string name, JsonNode? value)
    {
        if (value is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
        {
            obj[name] = value;
        }
    }

    private static string Quote(string s) => Core.Selectors.GoFormat.Quote(s);

    /// <summary>
    /// A string field with omitempty: its field number in generated.proto, its JSON name, and its Go name, which
    /// upstream's wrong-wireType error gives.
    /// </summary>
    private readonly record struct StringField(int Number, string JsonName, string GoName);

    /// <summary>upstream summarizeData: the first 30 bytes, as text for JSON-looking data, else in hex.</summary>
    private static string Summary(ReadOnlySpan<byte> body)
    {
        var head = body.Length > 30 ? body[..30] : body;
        var text = body[0] == (byte)'{' ? Encoding.UTF8.GetString(head) : Convert.ToHexStringLower(head);
        return body.Length > 30 ? text + " ..." : text;
    }
}
