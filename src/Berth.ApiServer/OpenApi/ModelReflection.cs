using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Berth.Serialization;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The KubernetesClient models' JSON properties and the model types they contain, read from the compiled JSON
/// contracts (<see cref="ModelContract"/>) rather than by reflection over the types, so the OpenAPI documents come
/// out the same under Native AOT.
/// </summary>
internal static class ModelReflection
{

    /// <summary>Each JSON property: its C# name (what the model docs are keyed by), its type and its JSON name.</summary>
    public static IEnumerable<(string ClrName, Type PropertyType, string JsonName)> JsonProperties(Type type) =>
        ModelContract.Of(type) is { Kind: JsonTypeInfoKind.Object } contract
            ? contract.Properties.Select(p => ((p.AttributeProvider as MemberInfo)?.Name ?? ClrNameOf(p.Name), p.PropertyType, p.Name))
            : [];

    /// <summary>The element type of a list, the value type of a string-keyed map, or the type itself.</summary>
    public static Type Unwrap(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (ModelContract.MapValueType(type) is { } value)
        {
            return Unwrap(value);
        }

        return ModelContract.ListElementType(type) is { } element ? Unwrap(element) : type;
    }

    public static IEnumerable<Type> ChildModelTypes(Type type) =>
        JsonProperties(type).Select(p => Unwrap(p.PropertyType)).Where(ModelContract.IsModel).Distinct();

    // The generated models name each property after its JSON field in Pascal case (apiVersion → ApiVersion).
    private static string ClrNameOf(string jsonName) => jsonName.Length == 0 ? jsonName : char.ToUpperInvariant(jsonName[0]) + jsonName[1..];
}
