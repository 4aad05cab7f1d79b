namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// One SPDY/3.1 frame as read off the wire. Control frames carry a type and a payload whose layout depends on it;
/// data frames carry a stream id. Flags: FIN (0x01) on data, SYN_STREAM, SYN_REPLY and HEADERS.
/// </summary>
internal readonly record struct SpdyFrame(SpdyFrameType Type, byte Flags, uint StreamId, ReadOnlyMemory<byte> Payload)
{
    public const byte FlagFin = 0x01;
    public const byte FlagUnidirectional = 0x02;

    public bool Fin => (Flags & FlagFin) != 0;
}
