using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;

namespace Berth.Serialization;

/// <summary>
/// The process's JSON options over the KubernetesClient models. We never touch
/// <c>KubernetesJson.AddJsonOptions</c> (it mutates a process-global); these options are our own, built on the
/// library's source-generated context so they stay AOT-clean.
/// </summary>
public static class BerthJson
{
    /// <summary>Lenient: unknown fields are dropped (fieldValidation=Ignore, and everything we read back).</summary>
    public static JsonSerializerOptions Options { get; } = Create(strict: false);

    /// <summary>Strict: an unknown field fails decoding (the first one only; Warn mode collects them separately).</summary>
    public static JsonSerializerOptions StrictOptions { get; } = Create(strict: true);

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions
        {
            // RawExtension-like members (ControllerRevision.data, managedFields[].fieldsV1) are typed object and
            // hold JsonElement, which the library's generated context does not describe; ours adds it.
            TypeInfoResolver = JsonTypeInfoResolver.Combine(SourceGenerationContext.Default, WireJsonContext.Default),
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = strict ? JsonUnmappedMemberHandling.Disallow : JsonUnmappedMemberHandling.Skip,
        };
        options.Converters.Add(new KubernetesJson.KubernetesDateTimeConverter());
        options.Converters.Add(new KubernetesJson.KubernetesDateTimeOffsetConverter());
        options.MakeReadOnly();
        return options;
    }

    public static T? Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));

    /// <summary>
    /// Writer options with Go's escaping, as upstream's JSON shows: only &lt;, &gt; and &amp; (and control characters) in
    /// strings; the default .NET encoder also escapes quotes as \u0022 and every non-ASCII character.
    /// </summary>
    public static JsonWriterOptions GoWriterOptions { get; } = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Decodes a JSON tree into <paramref name="type"/> through its compiled contract.</summary>
    public static object? Deserialize(JsonNode node, Type type) => node.Deserialize(Options.GetTypeInfo(type));

    public static T? Deserialize<T>(JsonNode node) => node.Deserialize((JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));

    /// <summary>Encodes <paramref name="value"/> as <paramref name="type"/> into a JSON tree through its compiled contract.</summary>
    public static JsonNode? SerializeToNode(object? value, Type type) => JsonSerializer.SerializeToNode(value, Options.GetTypeInfo(type));

    public static byte[] SerializeToUtf8Bytes<T>(T value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
}
