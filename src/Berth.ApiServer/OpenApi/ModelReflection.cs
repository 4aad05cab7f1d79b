using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>Reflection over the KubernetesClient models: their JSON properties and the model types they contain.</summary>
internal static class ModelReflection
{
    public static bool IsModel(Type type) =>
        string.Equals(type.Namespace, "k8s.Models", StringComparison.Ordinal) && type.IsClass
        && type != typeof(IntOrString) && type != typeof(ResourceQuantity);

    public static IEnumerable<(PropertyInfo Property, string JsonName)> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.Name is not null)
            .Select(p => (p.p, p.Name!));

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

    public static Type? MapValueType(Type type)
    {
        foreach (var i in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            {
                return i.GetGenericArguments()[1];
            }
        }

        return null;
    }

    public static Type? ListElementType(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[]))
        {
            return null;
        }

        foreach (var i in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return i.GetGenericArguments()[0];
            }
        }

        return null;
    }

    public static IEnumerable<Type> ChildModelTypes(Type type) =>
        JsonProperties(type).Select(p => Unwrap(p.Property.PropertyType)).Where(IsModel).Distinct();
}
