using System.Reflection;
using System.Text.Json.Nodes;
using Berth.Serialization;
using Berth.Serialization.Patching;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// Builds OpenAPI v3 component schemas from the KubernetesClient model types by reflection, in upstream's shape:
/// properties with JSON names, types and formats, references wrapped in allOf, descriptions from the models' docs,
/// required and enum where upstream has them, x-kubernetes-group-version-kind on kinds, and the patch and list
/// extensions from <see cref="PatchMetadata"/>.
/// </summary>
internal sealed class SchemaGenerator
{
    private readonly ModelDocs _docs;
    private readonly JsonObject _schemas;
    private readonly Dictionary<Type, string> _names = [];

    public SchemaGenerator(ModelDocs docs, JsonObject schemas)
    {
        _docs = docs;
        _schemas = schemas;
    }

    /// <summary>Adds the type and everything it references; returns its definition name.</summary>
    public string Add(Type type, string contextGroup)
    {
        if (_names.TryGetValue(type, out var known))
        {
            return known;
        }

        var name = SchemaNames.For(type, contextGroup);
        _names[type] = name;
        if (type == typeof(ResourceQuantity))
        {
            _schemas[name] = new JsonObject
            {
                ["description"] = "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.",
                ["type"] = "string",
            };
            return name;
        }

        if (type == typeof(IntOrString))
        {
            _schemas[name] = new JsonObject
            {
                ["description"] = "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
                ["format"] = "int-or-string",
                ["type"] = "string",
            };
            return name;
        }

        var schema = new JsonObject();
        _schemas[name] = schema;
        if (_docs.ForType(type) is { } description)
        {
            schema["description"] = description;
        }

        var shortName = SchemaNames.ShortName(name);
        var properties = new JsonObject();
        var patchInfo = PatchMetadata.For(type);
        foreach (var (clrName, propertyType, jsonName) in ModelReflection.JsonProperties(type).OrderBy(p => p.JsonName, StringComparer.Ordinal))
        {
            var propertySchema = PropertySchema(propertyType, contextGroup);
            if (_docs.ForProperty(type, clrName) is { } propertyDescription)
            {
                propertySchema["description"] = propertyDescription;
            }

            if (SchemaFacts.Enums.TryGetValue(shortName + "." + jsonName, out var values))
            {
                propertySchema["enum"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            }

            if (patchInfo.TryGetValue(jsonName, out var info))
            {
                if (info.IsList && (info.ListMapKeys.Count > 0 || info.ListType == ListType.Set))
                {
                    propertySchema["x-kubernetes-list-type"] = info.ListTypeString;
                    if (info.ListMapKeys.Count > 0)
                    {
                        propertySchema["x-kubernetes-list-map-keys"] = new JsonArray(info.ListMapKeys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray());
                    }
                }

                if (info.MergeKey is not null)
                {
                    propertySchema["x-kubernetes-patch-merge-key"] = info.MergeKey;
                }

                if (info.StrategyString is { } strategy)
                {
                    propertySchema["x-kubernetes-patch-strategy"] = strategy;
                }
            }

            properties[jsonName] = propertySchema;
        }

        if (properties.Count > 0)
        {
            schema["properties"] = properties;
        }

        schema["type"] = "object";
        if (SchemaFacts.Required.TryGetValue(shortName, out var required) && required.Length > 0)
        {
            schema["required"] = new JsonArray(required.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());
        }

        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject
            {
                ["group"] = entity.Group,
                ["kind"] = entity.Kind,
                ["version"] = entity.ApiVersion,
            });
        }

        return name;
    }

    private JsonObject PropertySchema(Type type, string contextGroup)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(int) || type == typeof(short))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        }

        if (type == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return new JsonObject { ["type"] = "number", ["format"] = "double" };
        }

        if (type == typeof(byte[]))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return Reference(TimeSchema());
        }

        if (type == typeof(object))
        {
            // RawExtension (ControllerRevision.data) and free-form JSON fields.
            return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        }

        if (ModelContract.MapValueType(type) is { } valueType)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = ItemSchema(valueType, contextGroup) };
        }

        if (ModelContract.ListElementType(type) is { } elementType)
        {
            return new JsonObject { ["type"] = "array", ["items"] = ItemSchema(elementType, contextGroup) };
        }

        if (ModelContract.IsModel(type) || type == typeof(ResourceQuantity) || type == typeof(IntOrString))
        {
            return Reference(Add(type, contextGroup));
        }

        return new JsonObject { ["type"] = "string" };
    }

    /// <summary>Items and map values reference schemas directly, as upstream does; scalars get their type.</summary>
    private JsonObject ItemSchema(Type type, string contextGroup)
    {
        var schema = PropertySchema(type, contextGroup);
        if (schema["allOf"] is JsonArray { Count: 1 } allOf)
        {
            return allOf[0]!.DeepClone().AsObject();
        }

        return schema;
    }

    private string TimeSchema()
    {
        const string name = SchemaNames.MetaPackage + ".Time";
        if (!_schemas.ContainsKey(name))
        {
            _schemas[name] = new JsonObject
            {
                ["description"] = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
                ["format"] = "date-time",
                ["type"] = "string",
            };
        }

        return name;
    }

    /// <summary>upstream v3 wraps a referencing property's $ref in allOf so the property can carry its own description.</summary>
    private static JsonObject Reference(string name) =>
        new() { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + name }) };
}
