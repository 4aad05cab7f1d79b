using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.Core.Selectors;
using Berth.Serialization;
using k8s.Models;

namespace Berth.ApiServer.Http;

/// <summary>
/// statefulsets/scale as autoscaling/v1 Scale (upstream registry/apps/statefulset ScaleREST): spec.replicas
/// maps to the StatefulSet's, status.selector is its selector in label-selector string form.
/// </summary>
internal static class ScaleSubresource
{
    public static JsonObject FromObject(JsonObject obj)
    {
        var meta = JsonMeta.Metadata(obj);
        var scaleMeta = new JsonObject();
        foreach (var field in (string[])["name", "namespace", "uid", "resourceVersion", "creationTimestamp"])
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }

        var spec = obj["spec"] as JsonObject;
        var replicas = JsonMeta.Long(spec, "replicas") ?? 1;
        var status = new JsonObject { ["replicas"] = JsonMeta.Long(obj["status"], "replicas") ?? 0 };
        if (spec?["selector"] is JsonObject selector)
        {
            var model = BerthJson.Deserialize<V1LabelSelector>(selector);
            try
            {
                status["selector"] = LabelSelector.FromV1(model).ToString();
            }
            catch (SelectorParseException)
            {
                // An unparsable stored selector leaves status.selector empty, as upstream does on conversion errors.
            }
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = replicas },
            ["status"] = status,
        };
    }

    /// <summary>Applies the desired Scale's replicas (and its resourceVersion precondition) to the object.</summary>
    public static JsonObject ApplyTo(JsonObject obj, JsonObject desiredScale, string name)
    {
        var kind = JsonMeta.String(desiredScale, "kind");
        if (!string.IsNullOrEmpty(kind) && kind != "Scale")
        {
            throw Errors.BadRequest($"{kind} in version \"v1\" cannot be handled as a Scale");
        }

        var scaleName = JsonMeta.String(desiredScale["metadata"], "name");
        if (!string.IsNullOrEmpty(scaleName) && scaleName != name)
        {
            throw Errors.BadRequest($"the name of the object ({scaleName}) does not match the name on the URL ({name})");
        }

        long replicas;
        try
        {
            replicas = desiredScale["spec"]?["replicas"]?.GetValue<long>() ?? 0;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw Errors.BadRequest("Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an integer");
        }

        if (replicas < 0 || replicas > int.MaxValue)
        {
            // upstream ValidateScale
            throw new ApiException(Status.Failure(422, "Invalid",
                $"Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas.ToString(CultureInfo.InvariantCulture)}: "
                + "must be greater than or equal to 0",
                new StatusDetails
                {
                    Name = name,
                    Group = "autoscaling",
                    Kind = "Scale",
                    Causes = [new StatusCause("FieldValueInvalid", $"Invalid value: {replicas}: must be greater than or equal to 0", "spec.replicas")],
                }));
        }

        if (obj["spec"] is not JsonObject spec)
        {
            spec = [];
            obj["spec"] = spec;
        }

        spec["replicas"] = replicas;
        var rv = JsonMeta.String(desiredScale["metadata"], "resourceVersion");
        var meta = JsonMeta.Metadata(obj);
        if (!string.IsNullOrEmpty(rv))
        {
            meta["resourceVersion"] = rv;
        }

        return obj;
    }
}
