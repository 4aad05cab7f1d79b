using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Berth.Serialization;

/// <summary>
/// The shape of a KubernetesClient model as its source-generated JSON contract describes it (JSON field names and
/// types, list element and map value types, a parameterless constructor). Walks over the models (patch metadata,
/// OpenAPI schemas, Go zero values) read this instead of <see cref="System.Type.GetProperties()"/>: the contract is
/// compiled in, so the walks stay correct under Native AOT and trimming, and they see exactly the fields the wire
/// format has.
/// </summary>
public static class ModelContract
{
    /// <summary>The contract of <paramref name="type"/> in <see cref="BerthJson.Options"/>; null when it has none.</summary>
    public static JsonTypeInfo? Of(Type type) =>
        BerthJson.Options.TryGetTypeInfo(type, out var info) ? info : null;

    /// <summary>A KubernetesClient model class (an object with fields), not one of its scalar wrappers.</summary>
    public static bool IsModel(Type type) =>
        string.Equals(type.Namespace, "k8s.Models", StringComparison.Ordinal) && type.IsClass
        && type != typeof(IntOrString) && type != typeof(ResourceQuantity);

    /// <summary>The value type of a string-keyed map; null for anything else.</summary>
    public static Type? MapValueType(Type type) =>
        Of(type) is { Kind: JsonTypeInfoKind.Dictionary } map && map.KeyType == typeof(string) ? map.ElementType : null;

    /// <summary>The element type of a list (byte arrays are base64 strings on the wire, not lists); null for anything else.</summary>
    public static Type? ListElementType(Type type) =>
        type != typeof(byte[]) && Of(type) is { Kind: JsonTypeInfoKind.Enumerable } list ? list.ElementType : null;
}
