namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>The peer broke SPDY framing; the connection is closed with a GOAWAY PROTOCOL_ERROR.</summary>
internal sealed class SpdyProtocolException : Exception
{
    public SpdyProtocolException()
    {
    }

    public SpdyProtocolException(string message)
        : base(message)
    {
    }

    public SpdyProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
