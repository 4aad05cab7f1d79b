using System.Globalization;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Core.Streaming;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>
/// GET pods/{name}/log (upstream's LogREST): the query decoded into PodLogOptions and validated as upstream does
/// (422 <c>PodLogOptions "x" is invalid</c>), the container defaulted (the only container, else the
/// <c>kubectl.kubernetes.io/default-container</c> annotation, else a 400 naming the choices), then the node agent
/// streams the log as text/plain, flushing as it goes for follow.
/// </summary>
internal static class PodLogEndpoint
{
    public const string DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container";

    public static async Task ServeAsync(HttpContext context, ObjectRegistry registry, IPodStreamingBackend backend, string ns, string name)
    {
        var query = context.Request.Query;
        string? Get(string key) => query.TryGetValue(key, out var v) && v.Count > 0 ? v[^1] : null;

        var tail = Long(Get("tailLines"), "tailLines");
        var limit = Long(Get("limitBytes"), "limitBytes");
        var sinceSeconds = Long(Get("sinceSeconds"), "sinceSeconds");
        DateTimeOffset? sinceTime = null;
        if (Get("sinceTime") is { Length: > 0 } st)
        {
            sinceTime = DateTimeOffset.TryParse(st, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? t
                : throw Errors.BadRequest($"sinceTime: Invalid value: \"{st}\": parsing time \"{st}\" as RFC3339 failed");
        }

        // upstream ValidatePodLogOptions.
        var causes = new List<StatusCause>();
        if (tail is < 0)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {tail}: must be greater than or equal to 0", "tailLines"));
        }

        if (limit is < 1)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {limit}: must be greater than 0", "limitBytes"));
        }

        if (sinceSeconds is not null && sinceTime is not null)
        {
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", ""));
        }
        else if (sinceSeconds is < 1)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {sinceSeconds}: must be greater than 0", "sinceSeconds"));
        }

        if (causes.Count > 0)
        {
            var parts = causes.Select(c => c.Field is { Length: > 0 } f ? f + ": " + c.Message : c.Message).ToList();
            var joined = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
            throw new ApiException(Status.Failure(422, "Invalid", $"PodLogOptions \"{name}\" is invalid: {joined}",
                new StatusDetails { Name = name, Kind = "PodLogOptions", Causes = causes }));
        }

        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        var stored = await registry.GetAsync(pods, ns, name, context.RequestAborted).ConfigureAwait(false);
        var pod = BerthJson.Deserialize<k8s.Models.V1Pod>(stored.Value.Span)!;
        var container = Get("container") is { Length: > 0 } c ? c : DefaultContainer(pod);
        var all = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers).Concat(
            (pod.Spec.EphemeralContainers ?? []).Select(e => new k8s.Models.V1Container { Name = e.Name }));
        if (!all.Any(x => x.Name == container))
        {
            throw Errors.BadRequest($"container {container} is not valid for pod {name}");
        }

        context.Response.ContentType = "text/plain";
        if (string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            // upstream LogLocation: a pod not yet on a node has no log location, and the answer is empty.
            context.Response.StatusCode = 200;
            return;
        }

        var request = new PodLogRequest(ns, name, container)
        {
            Follow = Bool(Get("follow"), "follow"),
            Previous = Bool(Get("previous"), "previous"),
            Timestamps = Bool(Get("timestamps"), "timestamps"),
            TailLines = tail,
            LimitBytes = limit,
            SinceSeconds = sinceSeconds,
            SinceTime = sinceTime,
        };
        try
        {
            // Nothing is written before the backend writes, so its errors still become a Status.
            await backend.StreamLogsAsync(request, context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (PodStreamingException e) when (!context.Response.HasStarted)
        {
            throw new ApiException(Status.Failure(e.StatusCode, e.Reason, e.Message));
        }
    }

    /// <summary>The only container; else the default-container annotation; else upstream's 400 listing the choices.</summary>
    private static string DefaultContainer(k8s.Models.V1Pod pod)
    {
        if (pod.Spec.Containers.Count == 1)
        {
            return pod.Spec.Containers[0].Name;
        }

        if (pod.Metadata.Annotations?.TryGetValue(DefaultContainerAnnotation, out var named) == true
            && pod.Spec.Containers.Any(c => c.Name == named))
        {
            return named;
        }

        var names = (pod.Spec.InitContainers ?? []).Select(c => c.Name).Concat(pod.Spec.Containers.Select(c => c.Name))
            .Concat((pod.Spec.EphemeralContainers ?? []).Select(c => c.Name));
        throw Errors.BadRequest($"a container name must be specified for pod {pod.Metadata.Name}, choose one of: [{string.Join(' ', names)}]");
    }

    /// <summary>Go's strconv.ParseBool, as upstream's query parameter decoding uses it.</summary>
    private static bool Bool(string? value, string name) => value switch
    {
        null or "" => false,
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw Errors.BadRequest($"{name}: Invalid value: \"{value}\": strconv.ParseBool: parsing \"{value}\": invalid syntax"),
    };

    private static long? Long(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
        : throw Errors.BadRequest($"{name}: Invalid value: \"{value}\": strconv.ParseInt: parsing \"{value}\": invalid syntax");
}
