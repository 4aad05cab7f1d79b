using Berth.Node.Proxy;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Proxy;

/// <summary>The ruleset the proxy generates, and that the kernel accepts it (in a namespace the test creates).</summary>
public sealed class NftRulesetTests
{
    private static V1Service Service(string name, string clusterIp, params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec { Type = "ClusterIP", ClusterIP = clusterIp, Ports = ports },
    };

    private static V1EndpointSlice Slice(string service, string name, (string Name, int Port)[] ports, params (string Ip, bool? Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "default",
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
        },
        AddressType = "IPv4",
        Ports = [.. ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = "TCP" })],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Ip], Conditions = new V1EndpointConditions { Ready = e.Ready } })],
    };

    private static ServiceProxy Proxy(out List<string> applied)
    {
        var log = new List<string>();
        applied = log;
        return new ServiceProxy((ruleset, _) =>
        {
            lock (log)
            {
                log.Add(ruleset);
            }

            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Ready_endpoints_are_matched_to_service_ports_by_name_and_headless_services_are_skipped()
    {
        await using var proxy = Proxy(out _);
        proxy.UpsertService(Service("web", "10.96.0.50",
            new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }, new V1ServicePort { Name = "metrics", Port = 9090, Protocol = "TCP" }));
        proxy.UpsertService(Service("nginx", "None", new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }));
        proxy.UpsertSlice(Slice("web", "web-a", [("http", 8080)], ("10.88.0.3", true), ("10.88.0.4", false), ("10.88.0.5", null)));
        proxy.UpsertSlice(Slice("web", "web-b", [("http", 8081), ("metrics", 9100)], ("10.88.0.6", true)));

        var service = Assert.Single(proxy.Snapshot());

        Assert.Equal("default/web", service.Key);
        Assert.Equal([("10.88.0.3", 8080), ("10.88.0.5", 8080), ("10.88.0.6", 8081)], service.Ports[0].Endpoints);
        Assert.Equal([("10.88.0.6", 9100)], service.Ports[1].Endpoints);
    }

    [Fact]
    public void The_ruleset_dispatches_by_cluster_IP_and_port_picks_endpoints_at_random_and_masquerades()
    {
        var ruleset = NftRuleset.Build([
            new ProxiedService("default/web", "10.96.0.50",
            [
                new ProxiedPort("http", "TCP", 80, [("10.88.0.3", 8080), ("10.88.0.4", 8080)]),
                new ProxiedPort("dns", "UDP", 53, [("10.88.0.5", 5353)]),
                new ProxiedPort("none", "TCP", 81, []),
            ]),
        ], "10.96.0.0/16");

        Assert.Contains("ip daddr 10.96.0.50 tcp dport 80 goto svc0", ruleset, StringComparison.Ordinal);
        Assert.Contains("ip daddr 10.96.0.50 udp dport 53 goto svc1", ruleset, StringComparison.Ordinal);
        Assert.DoesNotContain("dport 81", ruleset, StringComparison.Ordinal);
        Assert.Contains("numgen random mod 2 vmap { 0 : goto svc0-ep0, 1 : goto svc0-ep1 }", ruleset, StringComparison.Ordinal);
        Assert.Contains("meta l4proto tcp dnat to 10.88.0.4:8080", ruleset, StringComparison.Ordinal);
        Assert.Contains("meta l4proto udp dnat to 10.88.0.5:5353", ruleset, StringComparison.Ordinal);
        Assert.Contains("masquerade", ruleset, StringComparison.Ordinal);
        Assert.Contains("ip daddr 10.96.0.0/16 reject", ruleset, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kernel_accepts_the_ruleset_and_its_removal()
    {
        var ns = "berth-nfttest-" + Guid.NewGuid().ToString("N")[..8];
        await ExternalCommand.RunCheckedAsync("ip", ["netns", "add", ns]);
        try
        {
            var ruleset = NftRuleset.Build([
                new ProxiedService("default/web", "10.96.0.50", [new ProxiedPort("http", "TCP", 80, [("10.88.0.3", 8080), ("10.88.0.4", 8081)])]),
            ], "10.96.0.0/16");
            await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], ruleset);
            await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], ruleset); // replacing works too
            var listed = await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", ns, "nft", "list", "table", "ip", NftRuleset.Table]);
            await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], NftRuleset.Delete);
            var after = await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", ns, "nft", "list", "tables"]);

            Assert.Contains("dnat to 10.88.0.4:8081", listed, StringComparison.Ordinal);
            Assert.DoesNotContain(NftRuleset.Table, after, StringComparison.Ordinal);
        }
        finally
        {
            await ExternalCommand.RunAsync("ip", ["netns", "del", ns]);
        }
    }

    [Fact]
    public async Task Changes_are_applied_and_stopping_removes_the_table()
    {
        var proxy = Proxy(out var applied);
        proxy.Start();
        proxy.UpsertService(Service("web", "10.96.0.50", new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }));
        proxy.UpsertSlice(Slice("web", "web-a", [("http", 8080)], ("10.88.0.3", true)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(proxy.Ruleset?.Contains("10.88.0.3:8080", StringComparison.Ordinal) ?? false) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await proxy.DisposeAsync();

        Assert.Contains(applied, r => r.Contains("dnat to 10.88.0.3:8080", StringComparison.Ordinal));
        Assert.Equal(NftRuleset.Delete, applied[^1]);
    }
}
