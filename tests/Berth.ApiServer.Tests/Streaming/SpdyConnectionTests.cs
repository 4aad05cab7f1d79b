using System.Buffers.Binary;
using System.Text;
using Berth.ApiServer.Streaming.Spdy;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>The server side of a SPDY/3.1 session, driven by hand-written client frames over an in-memory connection.</summary>
public sealed class SpdyConnectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public void Frames_are_encoded_as_the_spdy3_draft_lays_them_out()
    {
        Assert.Equal("000000050100000368 6921".Replace(" ", "", StringComparison.Ordinal),
            Convert.ToHexString(SpdyFrames.Data(5, SpdyFrame.FlagFin, "hi!"u8)).ToLowerInvariant());
        Assert.Equal("80030003000000080000000700000005", Hex(SpdyFrames.RstStream(7, SpdyFrames.Cancel)));
        Assert.Equal("800300060000000400000009", Hex(SpdyFrames.Ping(9)));
        Assert.Equal("80030007000000080000000300000000", Hex(SpdyFrames.GoAway(3, SpdyFrames.GoAwayOk)));
        Assert.Equal("800300090000000800000001 00010000".Replace(" ", "", StringComparison.Ordinal), Hex(SpdyFrames.WindowUpdate(1, 65536)));
        Assert.Equal("8003000400000014000000020000000700000010000000040000000a",
            Hex(SpdyFrames.Settings((SpdyFrames.SettingsInitialWindowSize, 16), (4, 10))));
    }

    [Fact]
    public async Task Frames_read_back_with_their_type_flags_stream_and_payload()
    {
        using var stream = new MemoryStream([.. SpdyFrames.Data(5, SpdyFrame.FlagFin, "hi"u8), .. SpdyFrames.WindowUpdate(3, 100), .. SpdyFrames.Ping(1)]);

        var data = await SpdyFrames.ReadAsync(stream, default);
        var window = await SpdyFrames.ReadAsync(stream, default);
        var ping = await SpdyFrames.ReadAsync(stream, default);
        var end = await SpdyFrames.ReadAsync(stream, default);

        Assert.Equal((SpdyFrameType.Data, 5u, true, "hi"), (data!.Value.Type, data.Value.StreamId, data.Value.Fin, Encoding.ASCII.GetString(data.Value.Payload.Span)));
        Assert.Equal((SpdyFrameType.WindowUpdate, 3u), (window!.Value.Type, window.Value.StreamId));
        Assert.Equal(SpdyFrameType.Ping, ping!.Value.Type);
        Assert.Null(end);
    }

    [Theory]
    [InlineData("80020001000000000000")]
    [InlineData("800300")]
    [InlineData("0000000000000002abcd")]
    public async Task Malformed_frames_are_protocol_errors(string hex)
    {
        using var stream = new MemoryStream(Convert.FromHexString(hex));

        await Assert.ThrowsAnyAsync<Exception>(async () => await SpdyFrames.ReadAsync(stream, default));
    }

    [Fact]
    public async Task A_client_stream_is_replied_to_then_carries_data_both_ways_and_half_closes()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);

        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "stdout"));
        var reply = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);
        await client.DataAsync(1, "hello"u8.ToArray(), fin: true);
        var received = await new StreamReader(stream).ReadToEndAsync().WaitAsync(Wait);
        await stream.WriteAsync("world"u8.ToArray());
        await stream.CloseWriteAsync();
        var data = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Data && !f.Payload.IsEmpty);
        var fin = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Data);

        Assert.Equal(1u, reply.StreamId);
        Assert.False(reply.Fin);
        Assert.Equal("stdout", stream.StreamType);
        Assert.Equal("hello", received);
        Assert.Equal("world", Encoding.ASCII.GetString(data.Payload.Span));
        Assert.True(fin.Fin);
        Assert.Equal(0, fin.Payload.Length);
    }

    [Fact]
    public async Task Client_pings_are_echoed_and_bad_stream_ids_reset()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);

        await client.SendAsync(SpdyFrames.Ping(7));
        var pong = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Ping);
        await client.SynStreamAsync(2, new SpdyHeaders().Add("streamType", "error"));
        var reset = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.RstStream);

        Assert.Equal(7u, BinaryPrimitives.ReadUInt32BigEndian(pong.Payload.Span));
        Assert.Equal(2u, reset.StreamId);
        Assert.Equal(SpdyFrames.ProtocolError, BinaryPrimitives.ReadUInt32BigEndian(reset.Payload.Span[4..]));
    }

    [Fact]
    public async Task A_refused_stream_gets_a_fin_reply_and_never_reaches_the_application()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd, accept: h => h.Get("port") is null ? "\"port\" header is required" : null);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);

        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "data"));
        var refused = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        await client.SynStreamAsync(3, new SpdyHeaders().Add("streamType", "data").Add("port", "80"));
        var accepted = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);

        Assert.True(refused.Fin);
        Assert.False(accepted.Fin);
        Assert.Equal(3u, stream.Id);
    }

    [Fact]
    public async Task Without_window_updates_from_the_peer_sending_is_not_held_at_64_KiB()
    {
        // kubectl's spdystream never sends WINDOW_UPDATE; holding to the 64 KiB initial window would stall it.
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);
        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "stdout"));
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);

        var sending = stream.WriteAsync(new byte[200 * 1024]).AsTask();
        var total = 0;
        while (total < 200 * 1024)
        {
            var frame = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Data);
            total += frame.Payload.Length;
        }

        await sending.WaitAsync(Wait);
        Assert.False(connection.PeerFlowControl);
        Assert.Equal(200 * 1024, total);
    }

    [Fact]
    public async Task A_peer_that_speaks_flow_control_gets_no_more_than_its_window()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);
        await client.SendAsync(SpdyFrames.Settings((SpdyFrames.SettingsInitialWindowSize, 10)));
        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "stdout"));
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);

        var sending = stream.WriteAsync(Encoding.ASCII.GetBytes("0123456789abcdefghijklmno")).AsTask();
        var first = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Data);
        var nothingYet = await client.ReadAsync(TimeSpan.FromMilliseconds(300));
        await client.SendAsync(SpdyFrames.WindowUpdate(1, 15));
        var rest = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.Data);
        await sending.WaitAsync(Wait);

        Assert.True(connection.PeerFlowControl);
        Assert.Equal("0123456789", Encoding.ASCII.GetString(first.Payload.Span));
        Assert.Null(nothingYet);
        Assert.Equal("abcdefghijklmno", Encoding.ASCII.GetString(rest.Payload.Span));
    }

    [Fact]
    public async Task Data_the_application_consumes_reopens_the_peers_stream_and_session_windows()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);
        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "stdin"));
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);

        await client.DataAsync(1, new byte[20 * 1024]);
        await client.DataAsync(1, new byte[20 * 1024]);
        var read = await ReadCountAsync(stream, 40 * 1024).WaitAsync(Wait);
        var streamUpdate = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.WindowUpdate && f.StreamId == 1);
        var sessionUpdate = await client.ReadUntilAsync(f => f.Type == SpdyFrameType.WindowUpdate && f.StreamId == 0);

        Assert.Equal(40 * 1024, read);
        Assert.True(BinaryPrimitives.ReadUInt32BigEndian(streamUpdate.Payload.Span[4..]) >= SpdyConnection.DefaultWindow / 2);
        Assert.True(BinaryPrimitives.ReadUInt32BigEndian(sessionUpdate.Payload.Span[4..]) >= SpdyConnection.DefaultWindow / 2);
    }

    [Fact]
    public async Task A_reset_from_the_client_ends_reads_and_fails_writes()
    {
        var (serverEnd, clientEnd) = DuplexStream.CreatePair();
        await using var connection = new SpdyConnection(serverEnd);
        connection.Start();
        await using var client = new SpdyTestClient(clientEnd);
        await client.SynStreamAsync(1, new SpdyHeaders().Add("streamType", "data"));
        var stream = await connection.IncomingStreams.ReadAsync().AsTask().WaitAsync(Wait);

        await client.SendAsync(SpdyFrames.RstStream(1, SpdyFrames.Cancel));
        var read = await stream.ReadAsync(new byte[10]).AsTask().WaitAsync(Wait);

        Assert.Equal(0, read);
        await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync("late"u8.ToArray()));
    }

    [Fact]
    public async Task Garbage_from_a_client_ends_the_session_without_an_unexpected_exception()
    {
        var random = new Random(20261201);
        for (var round = 0; round < 300; round++)
        {
            var (serverEnd, clientEnd) = DuplexStream.CreatePair();
            await using var connection = new SpdyConnection(serverEnd, accept: _ => null);
            connection.Start();
            await using var client = new SpdyTestClient(clientEnd);
            // Mostly well-formed frame headers (control bit, version 3, a known type) with random flags, lengths and payloads.
            var bytes = new List<byte>();
            for (var f = 0; f < 4; f++)
            {
                var payload = new byte[random.Next(0, 40)];
                random.NextBytes(payload);
                var header = new byte[8];
                random.NextBytes(header);
                if (random.Next(3) > 0)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(header, 0x8003);
                    BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)random.Next(0, 11));
                }

                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), ((uint)random.Next(0, 4) << 24) | (uint)payload.Length);
                bytes.AddRange(header);
                bytes.AddRange(payload);
            }

            await client.SendAsync([.. bytes]);
            await clientEnd.DisposeAsync();

            // The session ends (end of input or protocol error) and nothing escapes the reader.
            await connection.Completion.WaitAsync(Wait);
        }
    }

    private static async Task<int> ReadCountAsync(Stream stream, int count)
    {
        var total = 0;
        var buffer = new byte[8192];
        int n;
        while (total < count && (n = await stream.ReadAsync(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
