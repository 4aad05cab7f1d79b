namespace Berth.ApiServer.Streaming;

/// <summary>
/// A write-only stream whose writes become channel messages (stdout, stderr, port-forward data). Large writes are
/// split so that no message exceeds <see cref="MaxPayload"/>.
/// </summary>
internal sealed class ChannelWriteStream : AsyncStream
{
    public const int MaxPayload = 32 * 1024;

    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task> _send;
    private readonly byte _channel;

    public ChannelWriteStream(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, byte channel)
    {
        _send = send;
        _channel = channel;
    }

    public override bool CanRead => false;

    public override bool CanWrite => true;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var chunk = buffer[..Math.Min(buffer.Length, MaxPayload)];
            await _send(ChannelCodec.Encode(_channel, chunk.Span), cancellationToken).ConfigureAwait(false);
            buffer = buffer[chunk.Length..];
        }
    }
}
