using System.Buffers;
using System.Net.WebSockets;

namespace Berth.ApiServer.Streaming;

/// <summary>Reads whole WebSocket messages (fragments joined), bounded so a client cannot make us buffer without end.</summary>
internal static class WebSocketMessages
{
    public const int MaxMessage = 16 * 1024 * 1024;

    /// <summary>The next whole message, or null once the peer sent its close frame.</summary>
    public static async Task<(WebSocketMessageType Type, ReadOnlyMemory<byte> Data)?> ReceiveAsync(WebSocket socket, ArrayBufferWriter<byte> buffer,
        CancellationToken cancellationToken)
    {
        buffer.Clear();
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var result = await socket.ReceiveAsync(memory, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxMessage)
            {
                throw new WebSocketException(WebSocketError.Faulted, "message too large");
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer.WrittenMemory);
            }
        }
    }
}
