using System.Buffers.Binary;
using System.Text;
using Berth.ApiServer.Streaming.Spdy;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>SPDY/3 header compression: the preset dictionary, zlib through the system libz, name/value blocks.</summary>
public sealed class SpdyHeaderCompressionTests
{
    // Two consecutive header blocks of one connection, compressed by another program (Python's zlib with the SPDY/3
    // dictionary, level 9, sync flush): {streamtype: error, port: 80, requestid: 0}, then the same with data.
    private const string ForeignFirstBlock =
        "78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45a024cc64610024398b209198094adc8c0600000000ffff";

    private const string ForeignSecondBlock = "c2aa15540a2512d209000000ffff";

    [Fact]
    public void The_dictionary_is_spdy3s_1423_bytes_with_the_checksum_peers_announce()
    {
        var dictionary = SpdyDictionary.Bytes;

        Assert.Equal(1423, dictionary.Length);
        Assert.Equal([0, 0, 0, 7, .. "options"u8.ToArray()], dictionary[..11]);
        Assert.Equal("enq=0.", Encoding.ASCII.GetString(dictionary[^6..]));
        // The DICTID a SPDY/3 peer writes in its first header block (seen in the foreign block above).
        Assert.Equal(0xE3C6A7C2u, Adler32(dictionary));
    }

    [Fact]
    public void Header_blocks_from_another_zlib_program_decode_in_sequence_on_one_stream()
    {
        using var decompressor = SpdyHeaderCompression.Decompressor();

        var first = SpdyHeaders.Decode(decompressor.Decompress(Convert.FromHexString(ForeignFirstBlock)));
        var second = SpdyHeaders.Decode(decompressor.Decompress(Convert.FromHexString(ForeignSecondBlock)));

        Assert.Equal("error", first.Get("streamType"));
        Assert.Equal("80", first.Get("port"));
        Assert.Equal("0", first.Get("requestid"));
        Assert.Equal("data", second.Get("streamtype"));
        Assert.Equal(3, second.Count);
    }

    [Fact]
    public void Compressed_blocks_name_the_dictionary_and_round_trip_across_frames()
    {
        using var compressor = SpdyHeaderCompression.Compressor();
        using var decompressor = SpdyHeaderCompression.Decompressor();
        var blocks = Enumerable.Range(0, 5)
            .Select(i => new SpdyHeaders().Add("streamType", i % 2 == 0 ? "stdout" : "stderr").Add("requestID", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

        var compressed = blocks.Select(b => compressor.Compress(b.Encode())).ToList();
        var decoded = compressed.Select(c => SpdyHeaders.Decode(decompressor.Decompress(c))).ToList();

        // zlib header: deflate (CMF 0x78), FDICT set, then the dictionary's Adler-32.
        Assert.Equal(0x78, compressed[0][0]);
        Assert.NotEqual(0, compressed[0][1] & 0x20);
        Assert.Equal(Adler32(SpdyDictionary.Bytes), BinaryPrimitives.ReadUInt32BigEndian(compressed[0].AsSpan(2)));
        // Every block ends on a sync flush so the peer can decode it without the next one.
        Assert.All(compressed, c => Assert.Equal([0, 0, 0xFF, 0xFF], c[^4..]));
        for (var i = 0; i < blocks.Count; i++)
        {
            Assert.Equal(blocks[i].Get("streamtype"), decoded[i].Get("streamType"));
            Assert.Equal(blocks[i].Get("requestid"), decoded[i].Get("requestID"));
        }
    }

    [Fact]
    public void Name_value_blocks_lowercase_names_and_join_values_with_nul()
    {
        var block = new SpdyHeaders().Add("StreamType", "error").Add("X-Multi", "a").Add("X-Multi", "b").Encode();

        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(block));
        Assert.Equal(10, BinaryPrimitives.ReadInt32BigEndian(block.AsSpan(4)));
        Assert.Equal("streamtype", Encoding.ASCII.GetString(block, 8, 10));
        Assert.Contains("a\0b", Encoding.ASCII.GetString(block), StringComparison.Ordinal);
        var decoded = SpdyHeaders.Decode(block);
        Assert.Equal(["a", "b"], decoded.All.Single(h => h.Key == "x-multi").Value);
    }

    [Theory]
    [InlineData("00000001")]
    [InlineData("00000001000000ff")]
    [InlineData("0000000100000001610000000a")]
    public void Truncated_name_value_blocks_are_protocol_errors(string hex) =>
        Assert.Throws<SpdyProtocolException>(() => SpdyHeaders.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void Garbage_instead_of_a_compressed_block_is_a_protocol_error()
    {
        using var decompressor = SpdyHeaderCompression.Decompressor();

        Assert.Throws<SpdyProtocolException>(() => decompressor.Decompress(Encoding.ASCII.GetBytes("this is not zlib at all")));
    }

    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var d in data)
        {
            a = (a + d) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }
}
