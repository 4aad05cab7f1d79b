using System.Buffers;
using System.Text;
using Berth.ApiServer.Streaming;
using Berth.Core.Streaming;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>The k8s.io WebSocket channel framing: channel bytes, resize messages, port prefixes.</summary>
public sealed class ChannelCodecTests
{
    [Fact]
    public void Messages_are_the_channel_byte_then_the_payload()
    {
        var message = ChannelCodec.Encode(ChannelCodec.Stdout, "hi"u8);

        Assert.Equal([1, (byte)'h', (byte)'i'], message);
        Assert.True(ChannelCodec.TryDecode(message, out var channel, out var payload));
        Assert.Equal(ChannelCodec.Stdout, channel);
        Assert.Equal("hi", Encoding.ASCII.GetString(payload.Span));
        Assert.False(ChannelCodec.TryDecode(ReadOnlyMemory<byte>.Empty, out _, out _));
    }

    [Fact]
    public void The_v5_close_signal_names_the_half_closed_channel()
    {
        Assert.True(ChannelCodec.TryDecode(new byte[] { 255, 0 }, out var channel, out var payload));

        Assert.Equal(ChannelCodec.Close, channel);
        Assert.Equal(ChannelCodec.Stdin, payload.Span[0]);
    }

    [Theory]
    [InlineData("""{"Width":80,"Height":24}""", 80, 24)]
    [InlineData("""{"height":50,"width":132}""", 132, 50)]
    [InlineData("""{"Width":10}""", 10, 0)]
    public void Resize_messages_parse_as_go_marshals_them(string json, int width, int height) =>
        Assert.Equal(new TerminalSize((ushort)width, (ushort)height), ChannelCodec.ParseResize(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"Width":-1,"Height":70000}""")]
    public void Resize_messages_that_do_not_parse_are_skipped(string json)
    {
        var size = ChannelCodec.ParseResize(Encoding.UTF8.GetBytes(json));

        Assert.True(size is null || size == new TerminalSize(0, 0));
    }

    [Fact]
    public void A_spdy_resize_stream_splits_into_sizes_across_reads()
    {
        var pending = new ArrayBufferWriter<byte>();

        var first = ChannelCodec.ReadResizeStream(pending, Encoding.UTF8.GetBytes("""{"Width":1,"Height":2}""" + "\n" + """{"Wid"""));
        var second = ChannelCodec.ReadResizeStream(pending, Encoding.UTF8.GetBytes("""th":3,"Height":4}""" + "\n"));

        Assert.Equal([new TerminalSize(1, 2)], first);
        Assert.Equal([new TerminalSize(3, 4)], second);
        Assert.Equal(0, pending.WrittenCount);
    }

    [Fact]
    public void Port_forward_channels_open_with_the_port_little_endian() =>
        Assert.Equal([2, 0x90, 0x1F], ChannelCodec.PortPrefix(2, 8080));
}
