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
            return JsonSerializer.Deserialize(node, resource.ModelType, BerthJson.Options)
                ?? throw Errors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: null");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException
            or OverflowException or NotSupportedException)
        {
            // upstream: `StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal ...`
            throw Errors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {Describe(e)}");
        }
    }

    public static JsonObject Encode(ResourceDescriptor resource, object model) =>
        JsonSerializer.SerializeToNode(model, resource.ModelType, BerthJson.Options)?.AsObject()
        ?? throw new InvalidOperationException("a model encoded to null");

    /// <summary>Unknown field paths in upstream's form (<c>spec.template.spec.containers[0].bogus</c>).</summary>
    public static List<string> FindUnknownFields(Type modelType, JsonObject node)
    {
        var found = new List<string>();
        Walk(BerthJson.Options.GetTypeInfo(modelType), node, "", found);
        return found;
    }

    private static void Walk(JsonTypeInfo info, JsonNode? node, string path, List<string> found)
    {
        if (node is null)
        {
            return;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var property = info.Properties.FirstOrDefault(p => p.Name == name);
                    var childPath = path.Length == 0 ? name : path + "." + name;
                    if (property is null)
                    {
                        found.Add(childPath);
                        continue;
                    }

                    Walk(BerthJson.Options.GetTypeInfo(property.PropertyType), value, childPath, found);
                }

                break;
            case JsonTypeInfoKind.Enumerable when node is JsonArray array && info.ElementType is { } elementType:
                var elementInfo = BerthJson.Options.GetTypeInfo(elementType);
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(elementInfo, array[i], $"{path}[{i}]", found);
                }

                break;
            case JsonTypeInfoKind.Dictionary when node is JsonObject map && info.ElementType is { } valueType:
                var valueInfo = BerthJson.Options.GetTypeInfo(valueType);
                foreach (var (key, value) in map)
                {
                    Walk(valueInfo, value, path + "." + key, found);
                }

                break;
            default:
                // Leaves: scalars, IntOrString, Quantity, and free-form RawExtension (object) values.
                break;
        }
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
