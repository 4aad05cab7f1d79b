using System.Buffers.Binary;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// SPDY/3.1 framing (draft 3.1, section 2.2): encoding the frames the server sends and reading frames off a
/// stream. Written by hand because no maintained .NET SPDY library exists; only what kubectl's exec, attach and
/// port-forward use is here. Control frame: C=1, version 3, type (16), flags (8), length (24), payload. Data
/// frame: C=0, stream id (31), flags (8), length (24), payload.
/// </summary>
internal static class SpdyFrames
{
    public const ushort Version = 3;
    public const int HeaderLength = 8;
    public const int MaxPayload = 0xFFFFFF;

    // RST_STREAM status codes (draft 3.1, 2.6.3).
    public const uint ProtocolError = 1;
    public const uint InvalidStream = 2;
    public const uint RefusedStream = 3;
    public const uint Cancel = 5;
    public const uint InternalError = 6;

    // SETTINGS ids (2.6.4).
    public const uint SettingsInitialWindowSize = 7;

    // GOAWAY status codes (2.6.6).
    public const uint GoAwayOk = 0;
    public const uint GoAwayProtocolError = 1;

    public static byte[] Data(uint streamId, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7FFFFFFF);
        WriteFlagsLength(frame.AsSpan(4), flags, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    public static byte[] SynStream(uint streamId, byte flags, ReadOnlySpan<byte> compressedHeaders)
    {
        var payload = new byte[10 + compressedHeaders.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        compressedHeaders.CopyTo(payload.AsSpan(10));
        return Control(SpdyFrameType.SynStream, flags, payload);
    }

    public static byte[] SynReply(uint streamId, byte flags, ReadOnlySpan<byte> compressedHeaders)
    {
        var payload = new byte[4 + compressedHeaders.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        compressedHeaders.CopyTo(payload.AsSpan(4));
        return Control(SpdyFrameType.SynReply, flags, payload);
    }

    public static byte[] RstStream(uint streamId, uint status) => Control(SpdyFrameType.RstStream, 0, Words(streamId & 0x7FFFFFFF, status));

    public static byte[] Ping(uint id) => Control(SpdyFrameType.Ping, 0, Words(id));

    public static byte[] GoAway(uint lastGoodStreamId, uint status) =>
        Control(SpdyFrameType.GoAway, 0, Words(lastGoodStreamId & 0x7FFFFFFF, status));

    public static byte[] WindowUpdate(uint streamId, uint delta) =>
        Control(SpdyFrameType.WindowUpdate, 0, Words(streamId & 0x7FFFFFFF, delta & 0x7FFFFFFF));

    public static byte[] Settings(params (uint Id, uint Value)[] entries)
    {
        var payload = new byte[4 + (8 * entries.Length)];
        BinaryPrimitives.WriteInt32BigEndian(payload, entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4 + (8 * i)), entries[i].Id & 0xFFFFFF);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(8 + (8 * i)), entries[i].Value);
        }

        return Control(SpdyFrameType.Settings, 0, payload);
    }

    /// <summary>Reads the next frame, or null at a clean end of the stream between frames.</summary>
    public static async Task<SpdyFrame?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        var first = await stream.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (first == 0)
        {
            return null;
        }

        if (first < HeaderLength)
        {
            throw new SpdyProtocolException("truncated frame header");
        }

        var word = BinaryPrimitives.ReadUInt32BigEndian(header);
        var flags = header[4];
        var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xFFFFFF);
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        if ((word & 0x80000000) == 0)
        {
            var streamId = word & 0x7FFFFFFF;
            return streamId == 0
                ? throw new SpdyProtocolException("data frame on stream 0")
                : new SpdyFrame(SpdyFrameType.Data, flags, streamId, payload);
        }

        var version = (ushort)((word >> 16) & 0x7FFF);
        if (version != Version)
        {
            throw new SpdyProtocolException($"unsupported SPDY version {version}");
        }

        var type = (SpdyFrameType)(word & 0xFFFF);
        // Frames addressed to a stream have its id first (all but SETTINGS, PING and GOAWAY).
        var id = type is SpdyFrameType.SynStream or SpdyFrameType.SynReply or SpdyFrameType.RstStream or SpdyFrameType.Headers
            or SpdyFrameType.WindowUpdate && length >= 4
            ? BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF
            : 0;
        return new SpdyFrame(type, flags, id, payload);
    }

    private static byte[] Control(SpdyFrameType type, byte flags, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "frame too large");
        }

        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)(0x8000 | Version));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)type);
        WriteFlagsLength(frame.AsSpan(4), flags, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    private static void WriteFlagsLength(Span<byte> destination, byte flags, int length)
    {
        if (length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "frame too large");
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, ((uint)flags << 24) | (uint)length);
    }

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[4 * words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), words[i]);
        }

        return bytes;
    }
}
