using System.Runtime.InteropServices;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// The few entry points of the system zlib (libz.so.1, Debian's essential zlib1g) that SPDY/3 header compression
/// needs. .NET's ZLibStream cannot use a preset dictionary (deflateSetDictionary/inflateSetDictionary), and every
/// SPDY/3 header block is compressed against one, so we call zlib directly.
/// </summary>
internal static unsafe partial class Zlib
{
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NeedDict = 2;
    public const int BufError = -5;
    public const int SyncFlush = 2;
    public const int BestCompression = 9;

    private const string Library = "libz.so.1";

    // zlib checks only the major version and sizeof(z_stream).
    private static readonly byte[] Version = "1.2.11\0"u8.ToArray();

    public static int DeflateInit(ZStream* stream, int level)
    {
        fixed (byte* version = Version)
        {
            return DeflateInit(stream, level, version, sizeof(ZStream));
        }
    }

    public static int InflateInit(ZStream* stream)
    {
        fixed (byte* version = Version)
        {
            return InflateInit(stream, version, sizeof(ZStream));
        }
    }

    [LibraryImport(Library, EntryPoint = "deflateInit_")]
    private static partial int DeflateInit(ZStream* stream, int level, byte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "inflateInit_")]
    private static partial int InflateInit(ZStream* stream, byte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "deflate")]
    public static partial int Deflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "inflate")]
    public static partial int Inflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "deflateSetDictionary")]
    public static partial int DeflateSetDictionary(ZStream* stream, byte* dictionary, uint length);

    [LibraryImport(Library, EntryPoint = "inflateSetDictionary")]
    public static partial int InflateSetDictionary(ZStream* stream, byte* dictionary, uint length);

    [LibraryImport(Library, EntryPoint = "deflateEnd")]
    public static partial int DeflateEnd(ZStream* stream);

    [LibraryImport(Library, EntryPoint = "inflateEnd")]
    public static partial int InflateEnd(ZStream* stream);

    /// <summary>z_stream on LP64 Linux (uLong is 64 bits). zlib keeps a pointer to it, so it lives in native memory.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public nuint TotalOut;
        public nint Msg;
        public nint State;
        public nint ZAlloc;
        public nint ZFree;
        public nint Opaque;
        public int DataType;
        public nuint Adler;
        public nuint Reserved;
    }
}
