using System.Net;
using System.Net.Sockets;
using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using Berth.Node.Runtime;

namespace Berth.Node.Dns;

/// <summary>
/// The running cluster DNS: its own informers over the API (Services, EndpointSlices, Pods), the index they keep
/// current, and the UDP/TCP server on the sockets it was given. <see cref="BindInHubAsync"/> opens those sockets on
/// the cluster DNS address inside the hub network namespace, where every pod's resolv.conf points.
/// </summary>
internal sealed class ClusterDns : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly InformerFactory _informers;

    private ClusterDns(InformerFactory informers, ClusterDnsIndex index, ClusterDnsServer server)
    {
        _informers = informers;
        Index = index;
        Server = server;
    }

    public ClusterDnsIndex Index { get; }

    public ClusterDnsServer Server { get; }

    /// <summary>Starts the informers, waits for their first list, then serves.</summary>
    public static async Task<ClusterDns> StartAsync(IApiClient client, Socket udp, Socket? tcp, IDnsForwarder? forwarder,
        string zone = "cluster.local", TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var informers = new InformerFactory(client, time ?? TimeProvider.System);
        var index = new ClusterDnsIndex(zone);
        ClusterDnsSource.Attach(informers, index);
        var server = new ClusterDnsServer(new ClusterDnsHandler(index), forwarder, udp, tcp);
        var dns = new ClusterDns(informers, index, server);
        informers.Start(dns._stop.Token);
        try
        {
            await informers.WaitForCacheSyncAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dns.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        server.Start();
        return dns;
    }

    /// <summary>UDP and TCP sockets bound to the cluster DNS address, port 53, inside the hub namespace.</summary>
    public static async Task<(Socket Udp, Socket Tcp)> BindInHubAsync(HubNetwork hub)
    {
        var endpoint = new IPEndPoint(hub.Ipam.ClusterDns, 53);
        var udp = await hub.CreateSocketAsync(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp).ConfigureAwait(false);
        var tcp = await hub.CreateSocketAsync(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp).ConfigureAwait(false);
        try
        {
            udp.Bind(endpoint);
            tcp.Bind(endpoint);
            return (udp, tcp);
        }
        catch
        {
            udp.Dispose();
            tcp.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _informers.StoppedAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
