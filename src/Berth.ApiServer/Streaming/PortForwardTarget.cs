using System.Net.Sockets;
using Berth.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// One pod's side of a port-forward: opens connections through the backend and pipes them to a client stream pair,
/// whatever the transport. Failures go on the error stream as upstream words them.
/// </summary>
internal sealed class PortForwardTarget(IPodStreamingBackend backend, string ns, string pod, string uid)
{
    /// <summary>
    /// Forwards one connection: bytes from <paramref name="fromClient"/> go to the pod until the client half-closes
    /// (then the pod's side is shut down for writing), bytes from the pod go to <paramref name="toClient"/> until the
    /// pod closes. Returns the error message to report, or null.
    /// </summary>
    public async Task<string?> ForwardAsync(int port, Stream fromClient, Stream toClient, Func<Task> closeToClient, ILogger? logger,
        CancellationToken cancellationToken)
    {
        Stream connection;
        try
        {
            connection = await backend.PortForwardAsync(ns, pod, port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger?.LogInformation("port-forward to {Namespace}/{Pod}:{Port} failed: {Message}", ns, pod, port, e.Message);
            return PortForwardProtocols.ForwardError(port, pod, uid, e.Message);
        }

        await using (connection.ConfigureAwait(false))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var up = CopyUpAsync(fromClient, connection, stop.Token);
            var down = CopyDownAsync(connection, toClient, closeToClient, stop.Token);
            await down.ConfigureAwait(false);
            // The pod closed its side. The client closes its own once it has read everything (kubectl does);
            // wait for that, within reason, then drop the connection.
            try
            {
                await up.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await up.ConfigureAwait(false);
        }

        return null;
    }

    private static async Task CopyUpAsync(Stream fromClient, Stream connection, CancellationToken cancellationToken)
    {
        try
        {
            await fromClient.CopyToAsync(connection, cancellationToken).ConfigureAwait(false);
            // The client half-closed: pass the EOF on so the pod's server sees it (a TCP half-close).
            if (connection is NetworkStream network)
            {
                network.Socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task CopyDownAsync(Stream connection, Stream toClient, Func<Task> closeToClient, CancellationToken cancellationToken)
    {
        try
        {
            await connection.CopyToAsync(toClient, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await closeToClient().ConfigureAwait(false);
    }
}
