using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Berth.Node.Dns;
using static Berth.Node.Tests.Dns.DnsModels;
using static Berth.Node.Tests.Dns.TestDns;

namespace Berth.Node.Tests.Dns;

/// <summary>The UDP/TCP server on loopback with a loopback fake for the host's resolver (nothing leaves the machine).</summary>
public sealed class DnsServerTests
{
    private static (Socket Udp, Socket Tcp) Loopback()
    {
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (udp, tcp);
    }

    private static ClusterDnsIndex Index()
    {
        var index = new ClusterDnsIndex();
        index.UpsertService(Service("nginx", "None"));
        index.UpsertSlice(Slice("nginx", "s", Endpoint("10.88.0.3", "web-0"), Endpoint("10.88.0.4", "web-1")));
        return index;
    }

    /// <summary>A fake upstream resolver on loopback: answers example.com with 192.0.2.1 (or stays silent), counting queries.</summary>
    private sealed class FakeUpstream : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private int _queries;

        public FakeUpstream(bool silent)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _ = Task.Run(async () =>
            {
                var buffer = new byte[2048];
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token);
                        Interlocked.Increment(ref _queries);
                        if (!silent)
                        {
                            var reply = buffer[..r.ReceivedBytes].Concat(new byte[] { 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 }).ToArray();
                            reply[2] |= 0x80;
                            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), 1);
                            await _socket.SendToAsync(reply, r.RemoteEndPoint);
                        }
                    }
                    catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                    {
                        return;
                    }
                }
            });
        }

        public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        public int Queries => Volatile.Read(ref _queries);

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Cluster_names_resolve_over_UDP_and_TCP()
    {
        var (udp, tcp) = Loopback();
        await using var server = new ClusterDnsServer(new ClusterDnsHandler(Index()), null, udp, tcp);
        server.Start();

        var overUdp = Parse(await UdpAsync(server.UdpEndPoint, Query("web-0.nginx.default.svc.cluster.local", A)));
        var overTcp = Parse(await TcpAsync(server.TcpEndPoint!, Query("nginx.default.svc.cluster.local", A)));
        var missing = Parse(await UdpAsync(server.UdpEndPoint, Query("web-9.nginx.default.svc.cluster.local", A)));

        Assert.Equal(["10.88.0.3"], overUdp.Addresses);
        Assert.Equal(["10.88.0.3", "10.88.0.4"], overTcp.Addresses);
        Assert.Equal(3, missing.Rcode);
    }

    [Fact]
    public async Task Other_names_are_forwarded_to_the_hosts_resolver()
    {
        using var upstream = new FakeUpstream(silent: false);
        var (udp, tcp) = Loopback();
        await using var server = new ClusterDnsServer(new ClusterDnsHandler(Index()), new UpstreamDnsForwarder([upstream.EndPoint]), udp, tcp);
        server.Start();

        var reply = Parse(await UdpAsync(server.UdpEndPoint, Query("example.com", A, id: 4242)));

        Assert.Equal((0, (ushort)4242), (reply.Rcode, reply.Id));
        Assert.Equal(["192.0.2.1"], reply.Addresses);
        Assert.Equal(1, upstream.Queries);
    }

    [Fact]
    public async Task An_unreachable_resolver_gives_SERVFAIL_and_is_then_skipped_so_later_failures_are_quick()
    {
        using var upstream = new FakeUpstream(silent: true);
        var (udp, tcp) = Loopback();
        var forwarder = new UpstreamDnsForwarder([upstream.EndPoint], TimeSpan.FromMilliseconds(300));
        await using var server = new ClusterDnsServer(new ClusterDnsHandler(Index()), forwarder, udp, tcp);
        server.Start();

        var first = Parse(await UdpAsync(server.UdpEndPoint, Query("example.com", A)));
        var second = Parse(await UdpAsync(server.UdpEndPoint, Query("example.org", A)));
        var overTcp = Parse(await TcpAsync(server.TcpEndPoint!, Query("example.net", A)));

        Assert.Equal((2, 2, 2), (first.Rcode, second.Rcode, overTcp.Rcode));
        Assert.Equal(1, upstream.Queries);
    }

    [Fact]
    public async Task Without_any_resolver_outside_names_fail_at_once()
    {
        var empty = Path.GetTempFileName();
        try
        {
            var forwarder = UpstreamDnsForwarder.FromResolvConf(empty);
            var (udp, tcp) = Loopback();
            await using var server = new ClusterDnsServer(new ClusterDnsHandler(Index()), forwarder, udp, tcp);
            server.Start();

            var reply = Parse(await UdpAsync(server.UdpEndPoint, Query("example.com", A)));

            Assert.Empty(forwarder.Servers);
            Assert.Equal(2, reply.Rcode);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public void Resolv_conf_nameservers_are_read_in_order_without_the_cluster_DNS_itself()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# host\nsearch example\nnameserver 10.88.0.2\nnameserver 127.0.0.53\noptions edns0\nnameserver  192.0.2.53\nnameserver ::1\n");

            var forwarder = UpstreamDnsForwarder.FromResolvConf(path, [IPAddress.Parse("10.88.0.2")]);

            Assert.Equal(["127.0.0.53:53", "192.0.2.53:53"], forwarder.Servers.Select(s => s.ToString()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
