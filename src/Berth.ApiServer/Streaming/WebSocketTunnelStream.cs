using System.Net.WebSockets;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// A byte stream carried in binary WebSocket messages, message boundaries meaningless (client-go's
/// TunnelingConnection): kubectl 1.31+ speaks SPDY through it for port-forward. Writes are not serialized here; the
/// SPDY connection writes under its own lock.
/// </summary>
internal sealed class WebSocketTunnelStream : AsyncStream
{
    private readonly WebSocket _socket;
    private bool _ended;

    public WebSocketTunnelStream(WebSocket socket) => _socket = socket;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_ended && !buffer.IsEmpty)
        {
            var result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _ended = true;
                break;
            }

            if (result.MessageType != WebSocketMessageType.Binary)
            {
                // client-go: "invalid message type received".
                throw new IOException("invalid message type received");
            }

            if (result.Count > 0)
            {
                return result.Count;
            }
        }

        return 0;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _socket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
