using System.Net;
using System.Net.Sockets;
using Berth.Controllers.Runtime;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Proxy;

/// <summary>
/// The service proxy (kube-proxy for ClusterIP Services): keeps Services and EndpointSlices from informers and, on
/// every change, rebuilds the whole <see cref="NftRuleset"/> and applies it in one nftables transaction inside the
/// hub namespace, where pod traffic to cluster IPs arrives (the pods' default route is the hub bridge). Bursts of
/// changes are coalesced into one apply. Stopping removes the table. nftables rather than a userspace proxy: the
/// kernel forwards every connection with no copy through Berth, UDP included, and numgen gives kube-proxy's random
/// endpoint choice; the hub namespace is ours, so the rules touch nothing on the host.
/// </summary>
internal sealed class ServiceProxy : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, V1Service> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, V1EndpointSlice>> _slices = new(StringComparer.Ordinal);
    private readonly Func<string, CancellationToken, Task> _apply;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _applied;
    private long _generation;

    public ServiceProxy(Func<string, CancellationToken, Task> apply, string serviceCidr = DefaultServiceCidr)
    {
        _apply = apply;
        ServiceCidr = serviceCidr;
    }

    /// <summary>The API server's default service CIDR (BerthServerOptions.ServiceCidr).</summary>
    public const string DefaultServiceCidr = "10.96.0.0/16";

    public string ServiceCidr { get; }

    /// <summary>How many rulesets were applied (tests wait on it).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>The last ruleset applied.</summary>
    public string? Ruleset { get; private set; }

    /// <summary>
    /// A proxy that programs the hub namespace with `nft`, after enabling forwarding there and routing the service
    /// CIDR onto the bridge (so sockets the host opens in the hub, port-forward and probes, reach cluster IPs too:
    /// locally sent packets need a route before the output hook can DNAT them).
    /// </summary>
    public static async Task<ServiceProxy> ForHubAsync(HubNetwork hub, string serviceCidr = DefaultServiceCidr,
        CancellationToken cancellationToken = default)
    {
        await ExternalCommand.RunCheckedAsync("ip", ["-n", hub.HubNamespaceName, "route", "replace", serviceCidr, "dev", HubNetwork.BridgeName],
            cancellationToken: cancellationToken).ConfigureAwait(false);
        // Forwarding, so traffic for cluster IPs is routed back out of the bridge after DNAT; no ICMP redirects,
        // which would tell pods to bypass the hub for DNATed flows. Where br_netfilter is loaded, bridged frames
        // would meet the nat hooks too and a pod reaching its own Service would be DNATed back out of the port it came
        // in on (which a bridge refuses without hairpin mode): the hub turns that off for itself (a per-namespace
        // setting), so Service traffic always takes the routed path through the hub.
        await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", hub.HubNamespaceName, "sh", "-c",
            "if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables; fi; "
            + "echo 1 > /proc/sys/net/ipv4/ip_forward && for f in /proc/sys/net/ipv4/conf/*/send_redirects; do echo 0 > $f; done"],
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ServiceProxy((ruleset, ct) =>
            ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", hub.HubNamespaceName, "nft", "-f", "-"], ruleset, ct), serviceCidr);
    }

    public void Attach(InformerFactory informers)
    {
        informers.For<V1Service>().AddHandler(new InformerHandler<V1Service>(UpsertService, (_, s) => UpsertService(s), DeleteService));
        informers.For<V1EndpointSlice>().AddHandler(new InformerHandler<V1EndpointSlice>(UpsertSlice, (_, s) => UpsertSlice(s), DeleteSlice));
    }

    public void Start()
    {
        _loop = Task.Run(() => LoopAsync(_stop.Token));
        Changed();
    }

    public void UpsertService(V1Service service)
    {
        lock (_gate)
        {
            _services[Key(service.Metadata.NamespaceProperty, service.Metadata.Name)] = service;
        }

        Changed();
    }

    public void DeleteService(V1Service service)
    {
        lock (_gate)
        {
            _services.Remove(Key(service.Metadata.NamespaceProperty, service.Metadata.Name));
        }

        Changed();
    }

    public void UpsertSlice(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is not { } key)
        {
            return;
        }

        lock (_gate)
        {
            if (!_slices.TryGetValue(key, out var slices))
            {
                slices = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
                _slices[key] = slices;
            }

            slices[slice.Metadata.Name] = slice;
        }

        Changed();
    }

    public void DeleteSlice(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is not { } key)
        {
            return;
        }

        lock (_gate)
        {
            if (_slices.TryGetValue(key, out var slices) && slices.Remove(slice.Metadata.Name) && slices.Count == 0)
            {
                _slices.Remove(key);
            }
        }

        Changed();
    }

    /// <summary>What the proxy would program now: every ClusterIP Service with its ready endpoints per port.</summary>
    public List<ProxiedService> Snapshot()
    {
        lock (_gate)
        {
            var result = new List<ProxiedService>();
            foreach (var (key, service) in _services)
            {
                var spec = service.Spec;
                if (spec is null || spec.Type == "ExternalName" || !IPAddress.TryParse(spec.ClusterIP, out var ip)
                    || ip.AddressFamily != AddressFamily.InterNetwork)
                {
                    continue;
                }

                var slices = _slices.TryGetValue(key, out var s) ? s.Values.OrderBy(x => x.Metadata.Name, StringComparer.Ordinal).ToList() : [];
                var ports = new List<ProxiedPort>();
                foreach (var port in spec.Ports ?? [])
                {
                    var name = port.Name ?? "";
                    var protocol = port.Protocol ?? "TCP";
                    var endpoints = new List<(string, int)>();
                    foreach (var slice in slices)
                    {
                        // kube-proxy matches Service and slice ports by name (and protocol).
                        var slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? "") == name && (p.Protocol ?? "TCP") == protocol);
                        if (slicePort?.Port is not { } targetPort)
                        {
                            continue;
                        }

                        foreach (var endpoint in slice.Endpoints ?? [])
                        {
                            if (endpoint.Conditions?.Ready == false)
                            {
                                continue;
                            }

                            endpoints.AddRange((endpoint.Addresses ?? []).Where(a => IPAddress.TryParse(a, out _)).Select(a => (a, targetPort)));
                        }
                    }

                    ports.Add(new ProxiedPort(name, protocol, port.Port, [.. endpoints.Distinct().Order()]));
                }

                result.Add(new ProxiedService(key, spec.ClusterIP, ports));
            }

            return result;
        }
    }

    private static string Key(string? ns, string name) => ns + "/" + name;

    private static string? ServiceKey(V1EndpointSlice slice) =>
        slice.Metadata.Labels is { } labels && labels.TryGetValue("kubernetes.io/service-name", out var service)
            ? Key(slice.Metadata.NamespaceProperty, service)
            : null;

    private void Changed()
    {
        Interlocked.Increment(ref _generation);
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rebuild is already pending; it will see this change.
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _changed.WaitAsync(ct).ConfigureAwait(false);
                // Coalesce a burst (a rollout changes many slices) into one transaction.
                await Task.Delay(5, ct).ConfigureAwait(false);
                var ruleset = NftRuleset.Build(Snapshot(), ServiceCidr);
                if (ruleset != Ruleset)
                {
                    await _apply(ruleset, ct).ConfigureAwait(false);
                    Ruleset = ruleset;
                }

                Interlocked.Increment(ref _applied);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // nft failing once (a busy netlink socket) must not stop the proxy: retry shortly
            catch (Exception)
#pragma warning restore CA1031
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Changed();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (Ruleset is not null)
        {
            try
            {
                await _apply(NftRuleset.Delete, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The hub namespace may already be gone with the runtime: nothing left to remove.
            }
        }

        _stop.Dispose();
        _changed.Dispose();
    }
}
