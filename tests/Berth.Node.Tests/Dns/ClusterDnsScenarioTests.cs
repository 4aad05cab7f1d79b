using System.Net;
using System.Net.Sockets;
using Berth.ApiServer.Client;
using Berth.ApiServer.Registry;
using Berth.Controllers;
using Berth.Controllers.Client;
using Berth.Node.Dns;
using Berth.Storage.Memory;
using k8s.Models;
using static Berth.Node.Tests.Dns.TestDns;

namespace Berth.Node.Tests.Dns;

/// <summary>
/// Cluster DNS fed by its own informers over the real registry, with the StatefulSet and endpoint controllers and the
/// simulated node doing their work in-process: names appear, follow readiness and survive pod re-creation.
/// </summary>
public sealed class ClusterDnsScenarioTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("berth-dns-").FullName;
    private InProcessApiClient _client = null!;
    private ControllerManager _controllers = null!;
    private ClusterDns _dns = null!;

    public async ValueTask InitializeAsync()
    {
        var registry = new ObjectRegistry(new MemoryStore(), TimeProvider.System, garbageCollectorEnabled: true);
        await registry.EnsureSystemNamespacesAsync(CancellationToken.None);
        _client = new InProcessApiClient(registry, "dns-test");
        _controllers = new ControllerManager(_client, TimeProvider.System, new ControllerManagerOptions { DataDir = _dataDir });
        await _controllers.StartAsync();
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _dns = await ClusterDns.StartAsync(_client, udp, tcp, forwarder: null);
    }

    public async ValueTask DisposeAsync()
    {
        await _dns.DisposeAsync();
        await _controllers.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<Response> AskAsync(string name, ushort type = A) =>
        Parse(await UdpAsync(_dns.Server.UdpEndPoint, Query(name, type)));

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}; last: {value}");
            }

            await Task.Delay(20);
        }
    }

    private async Task<string> PodIpAsync(string name) => (await _client.GetAsync<V1Pod>("default", name))?.Status?.PodIP ?? "";

    [Fact]
    public async Task StatefulSet_pods_get_stable_names_that_follow_readiness_and_survive_re_creation()
    {
        await _client.CreateAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "nginx", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                Selector = new Dictionary<string, string> { ["app"] = "web" },
                Ports = [new V1ServicePort { Name = "web", Port = 80 }],
            },
        });
        await _client.CreateAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
            Spec = new V1StatefulSetSpec
            {
                Replicas = 2,
                ServiceName = "nginx",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = "nginx" }] },
                },
            },
        });

        var web1 = await EventuallyAsync(() => AskAsync("web-1.nginx.default.svc.cluster.local"), r => r.Addresses.Length == 1, "web-1");
        var headless = await EventuallyAsync(() => AskAsync("nginx.default.svc.cluster.local"), r => r.Addresses.Length == 2, "both pods");
        var web0 = await AskAsync("web-0.nginx.default.svc.cluster.local");
        var srv = await AskAsync("_web._tcp.nginx.default.svc.cluster.local", Srv);
        var ptr = await AskAsync(string.Join('.', (await PodIpAsync("web-0")).Split('.').Reverse()) + ".in-addr.arpa", Ptr);

        Assert.Equal([await PodIpAsync("web-1")], web1.Addresses);
        Assert.Equal([await PodIpAsync("web-0")], web0.Addresses);
        Assert.Equal(new[] { await PodIpAsync("web-0"), await PodIpAsync("web-1") }.Order(StringComparer.Ordinal), headless.Addresses);
        Assert.Equal(2, srv.Answers.Count);
        Assert.Equal("web-0.nginx.default.svc.cluster.local", Assert.Single(ptr.Answers).Data);

        // Not ready: gone from DNS (publishNotReadyAddresses is false), back once ready.
        await _client.PatchAsync<V1Pod>("default", "web-1", PatchType.Merge,
            """{"metadata":{"annotations":{"berth.dev/simulate-ready":"false"}}}"""u8.ToArray());
        await EventuallyAsync(() => AskAsync("web-1.nginx.default.svc.cluster.local"), r => r.Rcode == 3, "web-1 gone while not ready");
        Assert.Single((await AskAsync("nginx.default.svc.cluster.local")).Addresses);

        // Re-created under the same name, the pod answers under the same DNS name.
        var oldUid = (await _client.GetAsync<V1Pod>("default", "web-1"))!.Metadata.Uid;
        await _client.DeleteAsync<V1Pod>("default", "web-1");
        await EventuallyAsync(async () => (await _client.GetAsync<V1Pod>("default", "web-1"))?.Metadata.Uid ?? oldUid, uid => uid != oldUid, "web-1 re-created");
        var again = await EventuallyAsync(() => AskAsync("web-1.nginx.default.svc.cluster.local"), r => r.Addresses.Length == 1, "web-1 back");
        Assert.Equal([await PodIpAsync("web-1")], again.Addresses);
    }

    [Fact]
    public async Task A_ClusterIP_service_answers_its_allocated_address_and_one_selecting_nothing_resolves_to_nothing()
    {
        var created = await _client.CreateAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "db" },
                Ports = [new V1ServicePort { Name = "pg", Port = 5432 }],
            },
        });
        await _client.CreateAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "empty", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                Selector = new Dictionary<string, string> { ["app"] = "nothing" },
                Ports = [new V1ServicePort { Name = "x", Port = 1 }],
            },
        });

        var db = await EventuallyAsync(() => AskAsync("db.default.svc.cluster.local"), r => r.Addresses.Length == 1, "db");
        await EventuallyAsync(async () => (await _client.ListAsync<V1EndpointSlice>("default")).Items.Count, n => n >= 2, "slices");
        var empty = await AskAsync("empty.default.svc.cluster.local");

        Assert.Equal([created.Spec.ClusterIP], db.Addresses);
        Assert.Equal(3, empty.Rcode);
    }

    [Fact]
    public async Task A_headless_service_with_publishNotReadyAddresses_answers_a_pod_that_is_not_ready_and_one_without_does_not()
    {
        foreach (var (name, publish) in new[] { ("peers", true), ("ready", false) })
        {
            await _client.CreateAsync(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
                Spec = new V1ServiceSpec
                {
                    ClusterIP = "None",
                    PublishNotReadyAddresses = publish,
                    Selector = new Dictionary<string, string> { ["app"] = "db" },
                    Ports = [new V1ServicePort { Name = "pg", Port = 5432 }],
                },
            });
        }

        await _client.CreateAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "default" },
            Spec = new V1StatefulSetSpec
            {
                Replicas = 1,
                ServiceName = "peers",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = new Dictionary<string, string> { ["app"] = "db" },
                        Annotations = new Dictionary<string, string> { ["berth.dev/simulate-ready"] = "false" },
                    },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "db", Image = "postgres" }] },
                },
            },
        });

        // Peers find each other before they are ready (how a database cluster bootstraps), through the Service that
        // publishes not-ready addresses; the other one lists the pod as not ready and so answers nothing.
        var peer = await EventuallyAsync(() => AskAsync("db-0.peers.default.svc.cluster.local"), r => r.Addresses.Length == 1, "db-0 not ready");
        var all = await AskAsync("peers.default.svc.cluster.local");
        await EventuallyAsync(async () => (await _client.ListAsync<V1EndpointSlice>("default", "kubernetes.io/service-name=ready")).Items
            .Sum(s => s.Endpoints?.Count(e => e.Conditions?.Ready == false) ?? 0), n => n == 1, "the pod listed not ready");
        var ready = await AskAsync("ready.default.svc.cluster.local");
        var pod = (await _client.GetAsync<V1Pod>("default", "db-0"))!;

        Assert.NotEqual("True", pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status);
        Assert.Equal([pod.Status!.PodIP], peer.Addresses);
        Assert.Equal([pod.Status.PodIP], all.Addresses);
        Assert.Equal(3, ready.Rcode);
    }
}
