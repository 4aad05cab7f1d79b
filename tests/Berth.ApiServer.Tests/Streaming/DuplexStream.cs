using System.IO.Pipelines;
using Berth.ApiServer.Streaming;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>Two in-memory pipes crossed: what one end writes the other reads, like a socket pair.</summary>
internal sealed class DuplexStream : AsyncStream
{
    private readonly Stream _read;
    private readonly PipeWriter _write;

    private DuplexStream(Stream read, PipeWriter write)
    {
        _read = read;
        _write = write;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public static (DuplexStream Server, DuplexStream Client) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toServer.Reader.AsStream(), toClient.Writer), new DuplexStream(toClient.Reader.AsStream(), toServer.Writer));
    }

    public override async Task FlushAsync(CancellationToken cancellationToken) => await _write.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _read.ReadAsync(buffer, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _write.WriteAsync(buffer, cancellationToken);
    }

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
