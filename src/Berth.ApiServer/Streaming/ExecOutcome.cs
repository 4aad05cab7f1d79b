using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Core.Streaming;
using Berth.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// Runs the backend's exec/attach and turns its outcome into the status the kubelet writes on the error stream
/// (remotecommand ServeExec/ServeAttach): Success; Failure/NonZeroExitCode with an ExitCode cause for a
/// command that exited non-zero (kubectl then exits with that code); the backend's own Status for a
/// <see cref="PodStreamingException"/>; InternalError otherwise.
/// </summary>
internal static class ExecOutcome
{
    public const string NonZeroExitCodeReason = "NonZeroExitCode";
    public const string ExitCodeCauseType = "ExitCode";

    public static async Task<Status> RunAsync(IPodStreamingBackend backend, PodExecRequest request, PodExecStreams streams, bool attach,
        ILogger? logger, CancellationToken cancellationToken)
    {
        try
        {
            var code = await backend.ExecAsync(request, streams, cancellationToken).ConfigureAwait(false);
            // upstream ServeAttach reports Success whatever the process did: its exit code shows in the pod status.
            return attach || code == 0 ? Status.Success() : NonZeroExit(request.Command, code);
        }
        catch (PodStreamingException e)
        {
            return PodStreamingEndpoints.StatusOf(e);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger?.LogWarning(e, "exec in {Namespace}/{Pod} failed", request.Namespace, request.Pod);
            var verb = attach ? "error attaching to container" : "error executing command in container";
            return Status.Failure(500, "InternalError", $"Internal error occurred: {verb}: {e.Message}");
        }
    }

    public static Status NonZeroExit(IReadOnlyList<string> command, int code) => new()
    {
        StatusValue = "Failure",
        Reason = NonZeroExitCodeReason,
        Message = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code "
            + code.ToString(CultureInfo.InvariantCulture),
        Details = new StatusDetails { Causes = [new StatusCause(ExitCodeCauseType, code.ToString(CultureInfo.InvariantCulture), null)] },
    };

    /// <summary>
    /// The bytes for the error stream: the Status JSON for v4/v5; for v2/v3 upstream writes only a failure's
    /// message as text (and nothing for Success).
    /// </summary>
    public static byte[] Encode(Status status, bool asStatus)
    {
        if (asStatus)
        {
            return JsonSerializer.SerializeToUtf8Bytes(status, WireJsonContext.Default.Status);
        }

        return status.StatusValue == "Success" ? [] : Encoding.UTF8.GetBytes(status.Message ?? "");
    }
}
