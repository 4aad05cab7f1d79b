using System.Net.WebSockets;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// Serializes sends on one WebSocket (it allows a single outstanding send): channel messages from several
/// writers, then the close. Sends after the close, or after the connection failed, are dropped.
/// </summary>
internal sealed class WebSocketSender : IDisposable
{
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _closed;

    public WebSocketSender(WebSocket socket) => _socket = socket;

    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed || _socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                throw new IOException("the WebSocket is closed");
            }

            await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Sends a normal close (1000); kubectl needs it after the status or it reports an abnormal closure.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (WebSocketException)
        {
            // The peer is gone already.
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
