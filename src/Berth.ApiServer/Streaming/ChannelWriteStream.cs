namespace Berth.ApiServer.Streaming;

/// <summary>
/// A write-only stream whose writes become channel messages (stdout, stderr, port-forward data). Large writes are
/// split so that no message exceeds <see cref="MaxPayload"/>.
/// </summary>
internal sealed class ChannelWriteStream : Stream
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

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
