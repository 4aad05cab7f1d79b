using System.Net;
using System.Net.Sockets;
using Berth.Node.Dns;
using static Berth.Node.Tests.Dns.DnsModels;
using static Berth.Node.Tests.Dns.TestDns;

namespace Berth.Node.Tests.Dns;

/// <summary>
/// Thousands of random and mutated packets: the handler never throws, every reply it gives is a well-formed
/// response carrying the query's id, and anything malformed is FORMERR (or dropped when it cannot carry an id or is
/// itself a response). A share of them goes through a real UDP server, which must still answer afterwards.
/// </summary>
public sealed class DnsFuzzTests
{
    private static readonly string[] Names =
    [
        "web-0.nginx.default.svc.cluster.local", "nginx.default.svc.cluster.local", "_web._tcp.nginx.default.svc.cluster.local",
        "db.default.svc.cluster.local", "3.0.88.10.in-addr.arpa", "cluster.local", "nope.cluster.local",
    ];

    private static ClusterDnsIndex Index()
    {
        var index = new ClusterDnsIndex();
        index.UpsertService(Service("nginx", "None"));
        index.UpsertService(Service("db", "10.96.0.10"));
        index.UpsertSlice(Slice("nginx", "s", Endpoint("10.88.0.3", "web-0"), Endpoint("10.88.0.4", "web-1")));
        index.UpsertPod(Pod("web-0", "10.88.0.3", "web-0", "nginx"));
        return index;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var packet = new List<byte>(seed);
        for (var m = random.Next(1, 5); m > 0; m--)
        {
            switch (random.Next(6))
            {
                case 0 when packet.Count > 0:
                    packet[random.Next(packet.Count)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when packet.Count > 0:
                    packet[random.Next(packet.Count)] = (byte)random.Next(256);
                    break;
                case 2 when packet.Count > 0:
                    var at = random.Next(packet.Count);
                    packet.RemoveRange(at, Math.Min(packet.Count - at, random.Next(1, 9)));
                    break;
                case 3:
                    packet.Insert(random.Next(packet.Count + 1), (byte)random.Next(256));
                    break;
                case 4 when packet.Count > 12:
                    packet[4 + random.Next(8)] = (byte)random.Next(4);
                    break;
                default:
                    packet.AddRange(Enumerable.Range(0, random.Next(1, 300)).Select(_ => (byte)random.Next(256)));
                    break;
            }
        }

        return [.. packet];
    }

    private static IEnumerable<byte[]> Packets(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            if (i % 3 == 0)
            {
                var length = random.Next(0, i % 30 == 0 ? 4000 : 600);
                var bytes = new byte[length];
                random.NextBytes(bytes);
                if (length > 2 && random.Next(2) == 0)
                {
                    bytes[2] &= 0x7F; // most random packets should look like queries, not responses
                }

                yield return bytes;
            }
            else
            {
                var name = Names[random.Next(Names.Length)];
                yield return Mutate(random, Query(name, (ushort)random.Next(1, 40), (ushort)random.Next(65536), edns: random.Next(2) == 0));
            }
        }
    }

    [Fact]
    public void Thousands_of_random_and_mutated_packets_get_well_formed_answers_or_FORMERR()
    {
        var handler = new ClusterDnsHandler(Index());
        var buffer = new byte[65535];
        var formErrors = 0;
        foreach (var packet in Packets(20_000, seed: 6))
        {
            var answer = handler.Answer(packet, buffer, udp: true);
            var status = DnsParser.Parse(packet, out _, out var id);
            if (answer.Length == 0)
            {
                Assert.True(answer.Forward is not null || status == DnsParseStatus.Drop, Convert.ToHexString(packet));
                continue;
            }

            var response = Parse(buffer[..answer.Length]);
            Assert.True(response.IsResponse);
            Assert.Equal(id, response.Id);
            Assert.True(answer.Length <= DnsConstants.EdnsUdpPayload);
            if (status == DnsParseStatus.FormatError)
            {
                Assert.Equal(1, response.Rcode);
                formErrors++;
            }
        }

        Assert.True(formErrors > 5_000, $"only {formErrors} format errors: the fuzzer is not reaching the error paths");
    }

    [Fact]
    public async Task A_real_server_survives_a_fuzz_run_and_still_answers()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new ClusterDnsServer(new ClusterDnsHandler(Index()), null, udp, tcp);
        server.Start();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var packets = Packets(3_000, seed: 7).Where(p => p.Length > 0).ToList();
        for (var i = 0; i < packets.Count; i++)
        {
            await sender.SendToAsync(packets[i], server.UdpEndPoint);
            if (i % 100 == 99)
            {
                // Let the server drain its socket buffer, so the run exercises it rather than the kernel's drops.
                for (var wait = 0; wait < 200 && server.Queries < i + 1; wait++)
                {
                    await Task.Delay(5, TestContext.Current.CancellationToken);
                }
            }
        }

        foreach (var packet in packets.Take(300))
        {
            // TCP too: garbage framed as DNS messages.
            try
            {
                await TcpAsync(server.TcpEndPoint!, packet[..Math.Min(packet.Length, 65535)]);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // A dropped message (a response, or too short for an id) closes that connection: allowed.
            }
        }

        var reply = Parse(await UdpAsync(server.UdpEndPoint, Query("web-0.nginx.default.svc.cluster.local", A)));
        var tcpReply = Parse(await TcpAsync(server.TcpEndPoint!, Query("web-1.nginx.default.svc.cluster.local", A)));

        Assert.Equal(["10.88.0.3"], reply.Addresses);
        Assert.Equal(["10.88.0.4"], tcpReply.Addresses);
        Assert.True(server.Queries >= packets.Count * 9 / 10, $"{server.Queries} of {packets.Count} datagrams reached the server");
    }
}
