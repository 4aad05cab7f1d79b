using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using Berth.Node.Proxy;
using Berth.Node.Runtime;

namespace Berth.Node.Dns;

/// <summary>
/// What a node adds to the pod network for Services (kube-proxy plus CoreDNS on a real cluster): cluster DNS bound on
/// the cluster DNS address inside the hub namespace and the nftables service proxy there, both fed by one set of
/// informers over Services, EndpointSlices and Pods. Disposing stops both and removes the proxy's rules.
/// </summary>
public sealed class ClusterNetworking : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly InformerFactory _informers;

    private ClusterNetworking(CancellationTokenSource stop, InformerFactory informers, ClusterDnsIndex index, ClusterDnsServer dns,
        ServiceProxy proxy)
    {
        _stop = stop;
        _informers = informers;
        Index = index;
        Dns = dns;
        Proxy = proxy;
    }

    internal ClusterDnsIndex Index { get; }

    internal ClusterDnsServer Dns { get; }

    internal ServiceProxy Proxy { get; }

    /// <summary>
    /// Starts both in the runtime's hub namespace. <paramref name="forward"/> says where names outside the cluster go:
    /// null for the host's resolvers (/etc/resolv.conf), "none" to answer them SERVFAIL at once (tests, which must not
    /// query real resolvers), or "ADDRESS:PORT" for one resolver.
    /// </summary>
    public static Task<ClusterNetworking> StartAsync(IApiClient client, SandboxRuntime runtime, string serviceCidr, string zone,
        string? forward = null, CancellationToken cancellationToken = default) =>
        StartAsync(client, runtime.Hub, serviceCidr, zone, forward switch
        {
            null or "" => null,
            "none" => new UpstreamDnsForwarder([]),
            _ => new UpstreamDnsForwarder([System.Net.IPEndPoint.Parse(forward)]),
        }, cancellationToken);

    /// <param name="forwarder">Where names outside the cluster go; null reads the host's /etc/resolv.conf.</param>
    internal static async Task<ClusterNetworking> StartAsync(IApiClient client, HubNetwork hub, string serviceCidr = ServiceProxy.DefaultServiceCidr,
        string zone = "cluster.local", IDnsForwarder? forwarder = null, CancellationToken cancellationToken = default)
    {
        var stop = new CancellationTokenSource();
        var informers = new InformerFactory(client, TimeProvider.System);
        var index = new ClusterDnsIndex(zone);
        ClusterDnsSource.Attach(informers, index);
        var proxy = await ServiceProxy.ForHubAsync(hub, serviceCidr, cancellationToken).ConfigureAwait(false);
        proxy.Attach(informers);
        ClusterDnsServer? dns = null;
        try
        {
            var (udp, tcp) = await ClusterDns.BindInHubAsync(hub).ConfigureAwait(false);
            dns = new ClusterDnsServer(new ClusterDnsHandler(index),
                forwarder ?? UpstreamDnsForwarder.FromResolvConf(exclude: [hub.Ipam.ClusterDns]), udp, tcp);
            informers.Start(stop.Token);
            await informers.WaitForCacheSyncAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            dns.Start();
            proxy.Start();
            return new ClusterNetworking(stop, informers, index, dns, proxy);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (dns is not null)
            {
                await dns.DisposeAsync().ConfigureAwait(false);
            }

            await proxy.DisposeAsync().ConfigureAwait(false);
            stop.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Dns.DisposeAsync().ConfigureAwait(false);
        await Proxy.DisposeAsync().ConfigureAwait(false);
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
