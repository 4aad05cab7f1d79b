using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Threading.Channels;
using Berth.Core.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// exec/attach over a WebSocket (v5.channel.k8s.io or v4.channel.k8s.io), the server half of client-go's
/// WebSocket executor: stdin and resize messages in, stdout and stderr out, then the Status on channel 3 and a
/// normal close frame (without it kubectl reports "close 1006 (abnormal closure)" and exits 1).
/// </summary>
internal static class WebSocketExecSession
{
    public static async Task RunAsync(HttpContext context, string protocol, IPodStreamingBackend backend, PodExecRequest request, bool attach,
        ILogger? logger)
    {
        using var socket = await StreamingWebSockets.AcceptAsync(context, protocol).ConfigureAwait(false);
        using var sender = new WebSocketSender(socket);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);

        var stdin = request.Stdin ? new Pipe() : null;
        var resize = request.Tty ? Channel.CreateBounded<TerminalSize>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest }) : null;
        var receive = ReceiveAsync(socket, stdin?.Writer, resize?.Writer, cancel);

        var streams = new PodExecStreams(
            stdin?.Reader.AsStream(),
            request.Stdout ? new ChannelWriteStream(sender.SendAsync, ChannelCodec.Stdout) : null,
            request.Stderr ? new ChannelWriteStream(sender.SendAsync, ChannelCodec.Stderr) : null,
            resize?.Reader);
        var status = await ExecOutcome.RunAsync(backend, request, streams, attach, logger, cancel.Token).ConfigureAwait(false);
        if (stdin is not null)
        {
            // The command is done with stdin: stdin messages still arriving are dropped instead of filling the pipe.
            await stdin.Reader.CompleteAsync().ConfigureAwait(false);
        }

        try
        {
            await sender.SendAsync(ExecOutcome.Encode(status, asStatus: true).Prepend(ChannelCodec.Error).ToArray(), cancel.Token)
                .ConfigureAwait(false);
            await sender.CloseAsync(cancel.Token).ConfigureAwait(false);
            // Upstream closes the connection right after its close frame; we give the client a moment to answer
            // with its own (kubectl does at once), but some clients (the .NET KubernetesClient) wait for the TCP end.
            await receive.WaitAsync(TimeSpan.FromSeconds(1), cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or TimeoutException)
        {
            // The client left first: nothing more to tell it.
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task ReceiveAsync(WebSocket socket, PipeWriter? stdin, ChannelWriter<TerminalSize>? resize, CancellationTokenSource cancel)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var message = await WebSocketMessages.ReceiveAsync(socket, buffer, cancel.Token).ConfigureAwait(false);
                if (message is not { } m)
                {
                    // The client's close: no more stdin. The command may still be writing; the status goes out after.
                    break;
                }

                if (!ChannelCodec.TryDecode(m.Data, out var channel, out var payload))
                {
                    continue;
                }

                switch (channel)
                {
                    case ChannelCodec.Stdin when stdin is not null:
                        var flush = await stdin.WriteAsync(payload, cancel.Token).ConfigureAwait(false);
                        if (flush.IsCompleted)
                        {
                            stdin = null;
                        }

                        break;
                    case ChannelCodec.Resize when resize is not null:
                        if (ChannelCodec.ParseResize(payload.Span) is { } size)
                        {
                            resize.TryWrite(size);
                        }

                        break;
                    case ChannelCodec.Close when payload.Length > 0 && payload.Span[0] == ChannelCodec.Stdin && stdin is not null:
                        // v5: the client half-closed stdin (kubectl's stdin reached EOF).
                        await stdin.CompleteAsync().ConfigureAwait(false);
                        stdin = null;
                        break;
                    default:
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The connection dropped: stop the command.
            await cancel.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            if (stdin is not null)
            {
                await stdin.CompleteAsync().ConfigureAwait(false);
            }

            resize?.TryComplete();
        }
    }
}
