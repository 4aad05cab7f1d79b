using System.Globalization;
using Berth.ApiServer.Http;
using Berth.Core.Streaming;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// GET pods/{name}/log: upstream's LogREST. The PodLogOptions query is decoded and validated as upstream does
/// (400 for a value that does not parse, 422 Invalid for one out of range), the container resolved, then the
/// backend writes the log into a plain chunked text/plain response.
/// </summary>
internal static class PodLogHandler
{
    public static async Task ServeAsync(HttpContext context, IPodStreamingBackend backend, string ns, string name, PodFacts pod)
    {
        var query = context.Request.Query;
        var request = ParseOptions(query, ns, name, pod);
        if (request is null)
        {
            // upstream LogLocation: a pod without a node has no log yet; the answer is an empty 200.
            await HttpResponses.WriteAsync(context, 200, ReadOnlyMemory<byte>.Empty, "text/plain").ConfigureAwait(false);
            return;
        }

        // The response starts with the first byte the backend writes, so a refusal before that (a container still
        // waiting, say) is still a Status with its own code.
        var output = new LazyResponseStream(context, "text/plain");
        try
        {
            await backend.StreamLogsAsync(request, output, context.RequestAborted).ConfigureAwait(false);
        }
        catch (PodStreamingException e) when (!context.Response.HasStarted)
        {
            throw new ApiException(PodStreamingEndpoints.StatusOf(e));
        }
        catch (PodStreamingException)
        {
            // Mid-stream: all that is left is to end the response, as upstream's proxy does.
            return;
        }

        if (!context.Response.HasStarted)
        {
            await HttpResponses.WriteAsync(context, 200, ReadOnlyMemory<byte>.Empty, "text/plain").ConfigureAwait(false);
        }
    }

    /// <summary>PodLogOptions from the query (upstream ValidatePodLogOptions); null when the pod has no node yet.</summary>
    internal static PodLogRequest? ParseOptions(IQueryCollection query, string ns, string name, PodFacts pod)
    {
        var tailLines = StreamingQuery.Int64(query, "tailLines");
        var limitBytes = StreamingQuery.Int64(query, "limitBytes");
        var sinceSeconds = StreamingQuery.Int64(query, "sinceSeconds");
        var sinceTime = StreamingQuery.Time(query, "sinceTime");
        var follow = StreamingQuery.Bool(query, "follow");
        var previous = StreamingQuery.Bool(query, "previous");
        var timestamps = StreamingQuery.Bool(query, "timestamps");

        var causes = new List<StatusCause>();
        if (tailLines < 0)
        {
            causes.Add(Invalid("tailLines", tailLines.Value, "must be greater than or equal to 0"));
        }

        if (limitBytes < 1)
        {
            causes.Add(Invalid("limitBytes", limitBytes.Value, "must be greater than 0"));
        }

        if (sinceSeconds is not null && sinceTime is not null)
        {
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", ""));
        }
        else if (sinceSeconds < 1)
        {
            causes.Add(Invalid("sinceSeconds", sinceSeconds.Value, "must be greater than 0"));
        }

        if (causes.Count > 0)
        {
            // upstream errors.NewInvalid(api.Kind("PodLogOptions"), name, errs): "field: message" joined, bracketed when several.
            var parts = causes.Select(c => c.Field + ": " + c.Message).ToList();
            var joined = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
            throw new ApiException(Status.Failure(422, "Invalid", $"PodLogOptions \"{name}\" is invalid: {joined}",
                new StatusDetails { Name = name, Kind = "PodLogOptions", Causes = causes }));
        }

        var container = pod.ResolveContainer(StreamingQuery.String(query, "container"), forLogs: true);
        if (pod.NodeName.Length == 0)
        {
            return null;
        }

        return new PodLogRequest(ns, name, container)
        {
            Follow = follow,
            Previous = previous,
            Timestamps = timestamps,
            TailLines = tailLines,
            SinceSeconds = sinceSeconds,
            SinceTime = sinceTime,
            LimitBytes = limitBytes,
        };
    }

    private static StatusCause Invalid(string field, long value, string message) =>
        new("FieldValueInvalid", $"Invalid value: {value.ToString(CultureInfo.InvariantCulture)}: {message}", field);
}
