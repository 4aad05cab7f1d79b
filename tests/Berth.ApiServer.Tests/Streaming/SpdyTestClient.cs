using Berth.ApiServer.Streaming.Spdy;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>The client end of an in-memory SPDY connection, writing frames by hand the way client-go's framer does.</summary>
internal sealed class SpdyTestClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly SpdyHeaderCompression _compressor = SpdyHeaderCompression.Compressor();
    private readonly SpdyHeaderCompression _decompressor = SpdyHeaderCompression.Decompressor();

    public SpdyTestClient(Stream stream) => _stream = stream;

    public Task SynStreamAsync(uint id, SpdyHeaders headers, bool fin = false) =>
        SendAsync(SpdyFrames.SynStream(id, fin ? SpdyFrame.FlagFin : (byte)0, _compressor.Compress(headers.Encode())));

    public Task DataAsync(uint id, byte[] data, bool fin = false) => SendAsync(SpdyFrames.Data(id, fin ? SpdyFrame.FlagFin : (byte)0, data));

    public async Task SendAsync(byte[] frame)
    {
        await _stream.WriteAsync(frame);
        await _stream.FlushAsync();
    }

    /// <summary>The next frame from the server, or null if none comes within <paramref name="timeout"/>.</summary>
    public async Task<SpdyFrame?> ReadAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            var frame = await SpdyFrames.ReadAsync(_stream, cancel.Token);
            if (frame is { Type: SpdyFrameType.SynReply } reply)
            {
                // Keep the decompression state in step, as a real client must.
                _ = _decompressor.Decompress(reply.Payload.Span[4..]);
            }

            return frame;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Reads frames until one matches (skipping WINDOW_UPDATEs and the like).</summary>
    public async Task<SpdyFrame> ReadUntilAsync(Func<SpdyFrame, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await ReadAsync(deadline - DateTime.UtcNow) is { } frame && match(frame))
            {
                return frame;
            }
        }

        throw new Xunit.Sdk.XunitException("the expected frame did not come");
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _compressor.Dispose();
        _decompressor.Dispose();
    }
}
