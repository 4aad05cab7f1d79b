using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Berth.Serialization;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The KubernetesClient models' JSON properties and the model types they contain, read from the compiled JSON
/// contracts (<see cref="ModelContract"/>) rather than by reflection over the types, so the OpenAPI documents come
/// out the same under Native AOT.
/// </summary>
internal static class ModelReflection
{
    public static bool IsModel(Type type) =>
        string.Equals(type.Namespace, "k8s.Models", StringComparison.Ordinal) && type.IsClass
        && type != typeof(IntOrString) && type != typeof(ResourceQuantity);

    /// <summary>Each JSON property: its C# name (what the model docs are keyed by), its type and its JSON name.</summary>
    public static IEnumerable<(string ClrName, Type PropertyType, string JsonName)> JsonProperties(Type type) =>
        ModelContract.Of(type) is { Kind: JsonTypeInfoKind.Object } contract
            ? contract.Properties.Select(p => ((p.AttributeProvider as MemberInfo)?.Name ?? ClrNameOf(p.Name), p.PropertyType, p.Name))
            : [];

    /// <summary>The element type of a list, the value type of a string-keyed map, or the type itself.</summary>
    public static Type Unwrap(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (MapValueType(type) is { } value)
        {
            return Unwrap(value);
        }

        return ListElementType(type) is { } element ? Unwrap(element) : type;
    }

    public static Type? MapValueType(Type type) =>
        ModelContract.Of(type) is { Kind: JsonTypeInfoKind.Dictionary } map && map.KeyType == typeof(string) ? map.ElementType : null;

    public static Type? ListElementType(Type type) =>
        type != typeof(byte[]) && ModelContract.Of(type) is { Kind: JsonTypeInfoKind.Enumerable } list ? list.ElementType : null;

    public static IEnumerable<Type> ChildModelTypes(Type type) =>
        JsonProperties(type).Select(p => Unwrap(p.PropertyType)).Where(IsModel).Distinct();

    // The generated models name each property after its JSON field in Pascal case (apiVersion → ApiVersion).
    private static string ClrNameOf(string jsonName) => jsonName.Length == 0 ? jsonName : char.ToUpperInvariant(jsonName[0]) + jsonName[1..];
}
