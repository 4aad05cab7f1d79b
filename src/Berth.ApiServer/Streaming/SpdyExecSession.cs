using System.Buffers;
using System.Threading.Channels;
using Berth.ApiServer.Streaming.Spdy;
using Berth.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// exec/attach over SPDY (upstream kubelet remotecommand httpstream.go): the client opens one stream per channel,
/// each naming itself in its streamType header (error, stdin, stdout, stderr, and resize for a TTY from v3 on), within
/// the stream creation timeout. After the command, stdout and stderr are half-closed, the status goes on the error
/// stream (a Status JSON in v4/v5, a bare message in v2/v3) and that is half-closed too.
/// </summary>
internal static class SpdyExecSession
{
    public static readonly TimeSpan StreamCreationTimeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(SpdyConnection connection, string protocol, IPodStreamingBackend backend, PodExecRequest request, bool attach,
        ILogger? logger, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closed);
        var expected = new List<string> { "error" };
        if (request.Stdin)
        {
            expected.Add("stdin");
        }

        if (request.Stdout)
        {
            expected.Add("stdout");
        }

        if (request.Stderr)
        {
            expected.Add("stderr");
        }

        if (request.Tty && RemoteCommandProtocols.HasResize(protocol))
        {
            expected.Add("resize");
        }

        var streams = await CollectStreamsAsync(connection, expected, logger, cancel.Token).ConfigureAwait(false);
        if (streams is null)
        {
            return;
        }

        Channel<TerminalSize>? resize = null;
        var resizePump = Task.CompletedTask;
        if (streams.TryGetValue("resize", out var resizeStream))
        {
            resize = Channel.CreateBounded<TerminalSize>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
            resizePump = PumpResizeAsync(resizeStream, resize.Writer, cancel.Token);
        }

        var stdout = streams.GetValueOrDefault("stdout");
        var stderr = streams.GetValueOrDefault("stderr");
        var stdin = streams.GetValueOrDefault("stdin");
        var status = await ExecOutcome.RunAsync(backend, request, new PodExecStreams(stdin, stdout, stderr, resize?.Reader), attach, logger,
            cancel.Token).ConfigureAwait(false);

        try
        {
            if (stdout is not null)
            {
                await stdout.CloseWriteAsync().ConfigureAwait(false);
            }

            if (stderr is not null)
            {
                await stderr.CloseWriteAsync().ConfigureAwait(false);
            }

            var error = streams["error"];
            var bytes = ExecOutcome.Encode(status, RemoteCommandProtocols.StatusOnErrorStream(protocol));
            if (bytes.Length > 0)
            {
                await error.WriteAsync(bytes, cancel.Token).ConfigureAwait(false);
            }

            await error.CloseWriteAsync().ConfigureAwait(false);
            foreach (var stream in streams.Values)
            {
                await stream.StopReadingAsync().ConfigureAwait(false);
                await stream.CloseWriteAsync().ConfigureAwait(false);
            }

            // The client closes the connection once it has read the status.
            await connection.WaitForPeerCloseAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client is gone.
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            resize?.Writer.TryComplete();
            await resizePump.ConfigureAwait(false);
        }
    }

    private static async Task<Dictionary<string, SpdyStream>?> CollectStreamsAsync(SpdyConnection connection, List<string> expected, ILogger? logger,
        CancellationToken cancellationToken)
    {
        var streams = new Dictionary<string, SpdyStream>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StreamCreationTimeout);
        try
        {
            while (streams.Count < expected.Count)
            {
                var stream = await connection.IncomingStreams.ReadAsync(timeout.Token).ConfigureAwait(false);
                var type = stream.StreamType;
                if (!expected.Contains(type) || streams.ContainsKey(type))
                {
                    // upstream: "unexpected stream type" ends the exec.
                    logger?.LogInformation("exec: unexpected stream type {Type}", type);
                    await stream.ResetAsync(SpdyFrames.RefusedStream).ConfigureAwait(false);
                    return null;
                }

                streams[type] = stream;
            }

            return streams;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger?.LogInformation("exec: timed out waiting for client to create streams");
            return null;
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task PumpResizeAsync(SpdyStream stream, ChannelWriter<TerminalSize> sizes, CancellationToken cancellationToken)
    {
        var pending = new ArrayBufferWriter<byte>();
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                foreach (var size in ChannelCodec.ReadResizeStream(pending, buffer.AsSpan(0, n)))
                {
                    sizes.TryWrite(size);
                }

                if (pending.WrittenCount > 64 * 1024)
                {
                    // Not JSON objects: drop what cannot be a size message.
                    pending.Clear();
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        finally
        {
            sizes.TryComplete();
        }
    }
}
