using System.Text.Json;
using Berth.ApiServer.Http;
using Berth.Core;
using Berth.Core.Selectors;
using Berth.Storage;

namespace Berth.ApiServer.Registry;

/// <summary>
/// A list/watch filter from labelSelector and fieldSelector. Field selectors are limited per resource to the
/// fields upstream registers (metadata.name and metadata.namespace everywhere, plus each kind's own field-label
/// conversion functions); anything else is the upstream 400 "field label not supported".
/// </summary>
internal sealed class ObjectFilter
{
    private static readonly Dictionary<string, string[]> KindFields = new(StringComparer.Ordinal)
    {
        ["Pod"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"],
        ["Event"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
            "source", "type"],
        ["Secret"] = ["type"],
        ["Namespace"] = ["status.phase"],
        ["Node"] = ["spec.unschedulable"],
        ["ReplicationController"] = ["status.replicas"],
    };

    private readonly LabelSelector _labels;
    private readonly FieldSelector _fields;

    private ObjectFilter(LabelSelector labels, FieldSelector fields)
    {
        _labels = labels;
        _fields = fields;
    }

    /// <summary>Null when both selectors select everything.</summary>
    public static ObjectFilter? Build(ResourceDescriptor resource, string? labelSelector, string? fieldSelector)
    {
        LabelSelector labels;
        FieldSelector fields;
        try
        {
            labels = LabelSelector.Parse(labelSelector);
            fields = FieldSelector.Parse(fieldSelector);
        }
        catch (SelectorParseException e)
        {
            throw Errors.BadRequest(e.Message);
        }

        var allowed = KindFields.GetValueOrDefault(resource.Kind, []);
        foreach (var field in fields.Fields)
        {
            if (field is not ("metadata.name" or "metadata.namespace") && !allowed.Contains(field))
            {
                // upstream: the kind's field label conversion func refuses it.
                throw Errors.BadRequest($"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
            }
        }

        return labels.IsEverything && fields.IsEverything ? null : new ObjectFilter(labels, fields);
    }

    public Func<KeyValue, bool> Predicate => kv => Matches(kv.Value);

    public bool Matches(ReadOnlyMemory<byte> value)
    {
        using var doc = JsonDocument.Parse(value);
        return Matches(doc.RootElement);
    }

    public bool Matches(JsonElement root)
    {
        if (!_labels.IsEverything)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in l.EnumerateObject())
                {
                    labels[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
                }
            }

            if (!_labels.Matches(labels))
            {
                return false;
            }
        }

        return _fields.IsEverything || _fields.Matches(field => FieldValue(root, field));
    }

    private static string? FieldValue(JsonElement root, string field)
    {
        if (field == "source")
        {
            return Read(root, "source.component");
        }

        if (field == "status.podIPs")
        {
            return Read(root, "status.podIP");
        }

        var value = Read(root, field);
        // upstream's conversion funcs print unset booleans as "false" and unset strings as "".
        return value ?? (field is "spec.hostNetwork" or "spec.unschedulable" ? "false" : "");
    }

    private static string? Read(JsonElement root, string path)
    {
        var e = root;
        foreach (var part in path.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
            {
                return null;
            }
        }

        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => null,
            _ => e.GetRawText(),
        };
    }
}
