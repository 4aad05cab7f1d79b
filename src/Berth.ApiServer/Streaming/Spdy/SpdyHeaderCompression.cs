using System.Buffers;
using System.Runtime.InteropServices;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// One direction of SPDY/3 header compression: a single zlib stream per connection and direction, primed with
/// <see cref="SpdyDictionary"/>, each header block ending on a sync flush so the peer can decode it at once. Use
/// one instance per direction and keep frames in the order they were (de)compressed.
/// </summary>
internal sealed unsafe class SpdyHeaderCompression : IDisposable
{
    /// <summary>No SPDY peer of ours sends header blocks anywhere near this; a larger one is a protocol error.</summary>
    public const int MaxHeaderBlock = 1024 * 1024;

    private readonly bool _deflate;
    private Zlib.ZStream* _stream;
    private bool _dictionarySet;

    private SpdyHeaderCompression(bool deflate)
    {
        _deflate = deflate;
        _stream = (Zlib.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(Zlib.ZStream));
        var rc = deflate ? Zlib.DeflateInit(_stream, Zlib.BestCompression) : Zlib.InflateInit(_stream);
        if (rc != Zlib.Ok)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"zlib init failed ({rc})");
        }
    }

    public static SpdyHeaderCompression Compressor() => new(deflate: true);

    public static SpdyHeaderCompression Decompressor() => new(deflate: false);

    /// <summary>Compresses one header block (sync-flushed).</summary>
    public byte[] Compress(ReadOnlySpan<byte> block)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        if (!_dictionarySet)
        {
            fixed (byte* dictionary = SpdyDictionary.Bytes)
            {
                Check(Zlib.DeflateSetDictionary(_stream, dictionary, (uint)SpdyDictionary.Bytes.Length), "deflateSetDictionary");
            }

            _dictionarySet = true;
        }

        var output = new ArrayBufferWriter<byte>(block.Length + 64);
        fixed (byte* input = block)
        {
            _stream->NextIn = input;
            _stream->AvailIn = (uint)block.Length;
            while (true)
            {
                var span = output.GetSpan(256);
                fixed (byte* o = span)
                {
                    _stream->NextOut = o;
                    _stream->AvailOut = (uint)span.Length;
                    var rc = Zlib.Deflate(_stream, Zlib.SyncFlush);
                    if (rc != Zlib.Ok && rc != Zlib.BufError)
                    {
                        Check(rc, "deflate");
                    }

                    var produced = span.Length - (int)_stream->AvailOut;
                    output.Advance(produced);
                    // Done once all input is consumed and the flush did not fill the buffer.
                    if (_stream->AvailIn == 0 && _stream->AvailOut != 0)
                    {
                        break;
                    }
                }
            }

            _stream->NextIn = null;
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decompresses one header block as sent by the peer (its bytes in this frame only).</summary>
    public byte[] Decompress(ReadOnlySpan<byte> compressed)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var output = new ArrayBufferWriter<byte>(Math.Max(256, compressed.Length * 4));
        fixed (byte* input = compressed)
        {
            _stream->NextIn = input;
            _stream->AvailIn = (uint)compressed.Length;
            while (true)
            {
                var span = output.GetSpan(1024);
                fixed (byte* o = span)
                {
                    _stream->NextOut = o;
                    _stream->AvailOut = (uint)span.Length;
                    var rc = Zlib.Inflate(_stream, Zlib.SyncFlush);
                    output.Advance(span.Length - (int)_stream->AvailOut);
                    if (rc == Zlib.NeedDict)
                    {
                        fixed (byte* dictionary = SpdyDictionary.Bytes)
                        {
                            Check(Zlib.InflateSetDictionary(_stream, dictionary, (uint)SpdyDictionary.Bytes.Length), "inflateSetDictionary");
                        }

                        continue;
                    }

                    if (rc == Zlib.BufError || (rc == Zlib.Ok && _stream->AvailIn == 0 && _stream->AvailOut != 0))
                    {
                        // No more input to make progress with: the block is complete.
                        break;
                    }

                    if (rc != Zlib.Ok)
                    {
                        Check(rc, "inflate");
                    }

                    if (output.WrittenCount > MaxHeaderBlock)
                    {
                        throw new SpdyProtocolException("header block too large");
                    }
                }
            }

            _stream->NextIn = null;
        }

        return output.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        if (_stream is null)
        {
            return;
        }

        _ = _deflate ? Zlib.DeflateEnd(_stream) : Zlib.InflateEnd(_stream);
        NativeMemory.Free(_stream);
        _stream = null;
    }

    private void Check(int rc, string call)
    {
        if (rc != Zlib.Ok)
        {
            var message = _stream->Msg != 0 ? Marshal.PtrToStringAnsi(_stream->Msg) : null;
            throw new SpdyProtocolException($"{call} failed ({rc}{(message is null ? "" : ": " + message)})");
        }
    }
}
