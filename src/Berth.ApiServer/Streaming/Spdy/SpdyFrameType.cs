namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>SPDY/3.1 frame types (draft 3.1, section 2.6); <see cref="Data"/> stands for a data frame.</summary>
internal enum SpdyFrameType : ushort
{
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}
