using Berth.Node.Dns;
using static Berth.Node.Tests.Dns.TestDns;

namespace Berth.Node.Tests.Dns;

/// <summary>The query parser's acceptance rules and what the handler answers for each kind of bad input.</summary>
public sealed class DnsParserTests
{
    private static DnsAnswer Handle(byte[] packet, out Response? response)
    {
        var buffer = new byte[65535];
        var answer = new ClusterDnsHandler(new ClusterDnsIndex()).Answer(packet, buffer, udp: true);
        response = answer.Length > 0 ? Parse(buffer[..answer.Length]) : null;
        return answer;
    }

    private static byte[] With(byte[] packet, int at, params byte[] bytes)
    {
        var copy = (byte[])packet.Clone();
        bytes.CopyTo(copy, at);
        return copy;
    }

    [Fact]
    public void A_well_formed_query_parses_with_its_EDNS_size()
    {
        var status = DnsParser.Parse(Query("Web-0.Nginx.default.svc.cluster.local", Srv, id: 77, edns: true, ednsSize: 4096), out var q, out _);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(("web-0.nginx.default.svc.cluster.local", Srv, (ushort)77, true, 4096), (q!.Name, q.Type, q.Id, q.HasEdns, q.UdpPayloadSize));
        Assert.True(q.RecursionDesired);
    }

    public static TheoryData<string, byte[]> FormatErrors()
    {
        var valid = Query("a.cluster.local", A, id: 0xBEEF);
        return new TheoryData<string, byte[]>
        {
            { "shorter than a header", valid[..7] },
            { "no question", With(valid, 4, 0, 0) },
            { "two questions", With(valid, 4, 0, 2) },
            { "question cut short", valid[..^3] },
            { "label running past the end", With(valid, 12, 60) },
            { "trailing bytes", [.. valid, 1, 2, 3] },
            { "pointer to itself", With(valid, 12, 0xC0, 12) },
            { "pointer forwards", With(valid, 12, 0xC0, 20) },
            { "obsolete label type", With(valid, 12, 0x41) },
            { "an answer count with no answers", With(valid, 6, 0, 1) },
            { "two OPT records", [.. With(valid, 10, 0, 2), 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0] },
            { "a name longer than 255 bytes", Query(string.Join('.', Enumerable.Repeat(new string('x', 60), 5)), A, id: 0xBEEF) },
        };
    }

    [Theory]
    [MemberData(nameof(FormatErrors))]
    public void Malformed_queries_get_FORMERR_with_their_id(string why, byte[] packet)
    {
        Handle(packet, out var response);

        Assert.NotNull(response);
        Assert.True(response.IsResponse, why);
        Assert.Equal((1, (ushort)0xBEEF), (response.Rcode, response.Id));
    }

    [Fact]
    public void Responses_and_fragments_without_an_id_are_never_answered()
    {
        var response = Query("a.cluster.local", A);
        response[2] |= 0x80;

        Assert.Equal(0, Handle(response, out _).Length);
        Assert.Equal(0, Handle([0x12], out _).Length);
        Assert.Equal(0, Handle([], out _).Length);
    }

    [Fact]
    public void Other_opcodes_get_NOTIMP()
    {
        var notify = Query("a.cluster.local", Soa, id: 9);
        notify[2] = (byte)(4 << 3);

        Handle(notify, out var response);

        Assert.Equal((4, (ushort)9), (response!.Rcode, response.Id));
    }

    [Fact]
    public void Another_class_than_IN_is_refused()
    {
        Handle(Query("a.cluster.local", A, @class: 3), out var response);

        Assert.Equal(5, response!.Rcode);
    }
}
