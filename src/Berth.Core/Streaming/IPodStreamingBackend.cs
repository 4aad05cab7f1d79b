namespace Berth.Core.Streaming;

/// <summary>
/// The seam between the API server's pod subresources (pods/log, pods/exec, pods/attach, pods/portforward) and
/// the node agent that owns the pods, like the kubelet's streaming server behind upstream's API server. The API
/// server owns the wire protocols (chunked logs, WebSocket v5.channel.k8s.io, SPDY/3.1) and hands the backend
/// plain streams; the backend owns the processes, log files and pod sockets. Failures the user should see are
/// <see cref="PodStreamingException"/>s carrying an HTTP status and a message (kubectl prints the message).
/// </summary>
public interface IPodStreamingBackend
{
    /// <summary>
    /// Writes a container's log to <paramref name="output"/> as kubelet serves it (one line per entry, optionally
    /// prefixed by the RFC3339Nano timestamp). With <see cref="PodLogRequest.Follow"/>, keeps writing until the
    /// container stops or <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task StreamLogsAsync(PodLogRequest request, Stream output, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a command in a running container (kubectl exec), or attaches to its main process when
    /// <see cref="PodExecRequest.Command"/> is empty (kubectl attach). Returns the exit code (0 for attach when
    /// the process ends normally). The streams in <paramref name="streams"/> are null when the client did not
    /// ask for them.
    /// </summary>
    Task<int> ExecAsync(PodExecRequest request, PodExecStreams streams, CancellationToken cancellationToken);

    /// <summary>A TCP connection to <paramref name="port"/> of the pod, opened from inside the hub network.</summary>
    Task<Stream> PortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken);
}
