using System.Text.Json.Serialization.Metadata;

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
}
