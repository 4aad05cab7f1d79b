using System.IO.Pipelines;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>Two in-memory pipes crossed: what one end writes the other reads, like a socket pair.</summary>
internal sealed class DuplexStream : Stream
{
    private readonly Stream _read;
    private readonly PipeWriter _write;

    private DuplexStream(Stream read, PipeWriter write)
    {
        _read = read;
        _write = write;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public static (DuplexStream Server, DuplexStream Client) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toServer.Reader.AsStream(), toClient.Writer), new DuplexStream(toClient.Reader.AsStream(), toServer.Writer));
    }

    public override void Flush()
    {
    }

    public override async Task FlushAsync(CancellationToken cancellationToken) => await _write.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _read.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _read.ReadAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _write.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _write.Complete();
            _read.Dispose();
        }

        base.Dispose(disposing);
    }
}
