using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using Berth.Serialization;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Go decodes a JSON null inside a list or map into the element's zero value (an empty struct, ""), so upstream's
/// defaulting and validation never see null elements. The C# models keep the nulls; this replaces them in place with
/// empty models and empty strings, so `[null]` containers are reported as missing names, not thrown on. The walk
/// goes through the models' compiled JSON contracts (<see cref="ModelContract"/>), which Native AOT keeps.
/// </summary>
internal static class ZeroValues
{
    private static readonly ConcurrentDictionary<Type, JsonPropertyInfo[]> Containers = new();

    public static void Fill(object model) => Walk(model, depth: 0);

    private static void Walk(object model, int depth)
    {
        if (depth > 64)
        {
            return;
        }

        foreach (var property in Containers.GetOrAdd(model.GetType(), FindContainers))
        {
            switch (property.Get!(model))
            {
                case IList list:
                    FillList(list, property.PropertyType, depth);
                    break;
                case IDictionary<string, string> map:
                    foreach (var key in map.Where(p => p.Value is null).Select(p => p.Key).ToList())
                    {
                        map[key] = "";
                    }

                    break;
                case { } child when ModelContract.IsModel(child.GetType()):
                    Walk(child, depth + 1);
                    break;
                default:
                    break;
            }
        }
    }

    private static void FillList(IList list, Type listType, int depth)
    {
        var element = ModelContract.ListElementType(listType) ?? typeof(object);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                if (element == typeof(string))
                {
                    list[i] = "";
                }
                else if (ModelContract.IsModel(element) && ModelContract.Of(element)?.CreateObject is { } create)
                {
                    list[i] = create();
                }
            }

            if (list[i] is { } item && ModelContract.IsModel(item.GetType()))
            {
                Walk(item, depth + 1);
            }
        }
    }

    private static JsonPropertyInfo[] FindContainers(Type type) => ModelContract.Of(type) is { Kind: JsonTypeInfoKind.Object } contract
        ? contract.Properties
            .Where(p => p.Get is not null
                        && (ModelContract.IsModel(p.PropertyType) || typeof(IList).IsAssignableFrom(p.PropertyType)
                            || (p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(IList<>))
                            || p.PropertyType == typeof(IDictionary<string, string>)))
            .ToArray()
        : [];

}
