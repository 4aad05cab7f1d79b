using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// port-forward over the kubelet's channel WebSocket (portforward/websocket.go), used by client libraries such as
/// the .NET KubernetesClient: one connection per requested port, channel 2i carrying its data both ways and 2i+1
/// its errors; each channel opens with the port as two little-endian bytes. The protocol cannot close one channel,
/// so the WebSocket closes once every port's connection has ended, or when the client closes it.
/// </summary>
internal static class WebSocketPortForwardSession
{
    public static async Task RunAsync(HttpContext context, string? protocol, List<int> ports, PortForwardTarget target, ILogger? logger)
    {
        using var socket = await StreamingWebSockets.AcceptAsync(context, protocol).ConfigureAwait(false);
        using var sender = new WebSocketSender(socket);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var inbound = ports.Select(_ => new Pipe()).ToArray();
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                await sender.SendAsync(ChannelCodec.PortPrefix((byte)(2 * i), ports[i]), cancel.Token).ConfigureAwait(false);
                await sender.SendAsync(ChannelCodec.PortPrefix((byte)((2 * i) + 1), ports[i]), cancel.Token).ConfigureAwait(false);
            }

            var receive = ReceiveAsync(socket, inbound, cancel);
            var forwards = ports.Select((port, i) => ForwardAsync(port, i, inbound[i], sender, target, logger, cancel.Token)).ToArray();
            await Task.WhenAll(forwards).ConfigureAwait(false);
            await sender.CloseAsync(cancel.Token).ConfigureAwait(false);
            await receive.WaitAsync(TimeSpan.FromSeconds(1), cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or TimeoutException)
        {
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task ForwardAsync(int port, int index, Pipe inbound, WebSocketSender sender, PortForwardTarget target, ILogger? logger,
        CancellationToken cancellationToken)
    {
        var data = (byte)(2 * index);
        var toClient = new ChannelWriteStream(sender.SendAsync, data);
        var problem = await target.ForwardAsync(port, inbound.Reader.AsStream(), toClient, () => Task.CompletedTask, logger, cancellationToken)
            .ConfigureAwait(false);
        if (problem is not null)
        {
            try
            {
                await sender.SendAsync(ChannelCodec.Encode((byte)(data + 1), Encoding.UTF8.GetBytes(problem)), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException)
            {
            }
        }
    }

    private static async Task ReceiveAsync(WebSocket socket, Pipe[] inbound, CancellationTokenSource cancel)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (await WebSocketMessages.ReceiveAsync(socket, buffer, cancel.Token).ConfigureAwait(false) is { } message)
            {
                if (!ChannelCodec.TryDecode(message.Data, out var channel, out var payload) || channel % 2 != 0 || channel / 2 >= inbound.Length)
                {
                    continue;
                }

                await inbound[channel / 2].Writer.WriteAsync(payload, cancel.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            // The client is done sending: every pod connection sees EOF.
            foreach (var pipe in inbound)
            {
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}
