using System.Net;
using System.Text;
using Berth.ApiServer.Client;
using Berth.ApiServer.Registry;
using Berth.Node.Dns;
using Berth.Node.Proxy;
using Berth.Node.Runtime;
using Berth.Storage.Memory;
using k8s.Models;

namespace Berth.Node.Tests.Proxy;

/// <summary>
/// The service proxy and cluster DNS inside the real hub namespace, with busybox pods in real sandboxes: a ClusterIP
/// reaches every ready backend, a pod reaches a Service that selects itself, the host reaches it through a hub socket,
/// and pods resolve cluster names from their resolv.conf (search path included). One class, so its tests (which share
/// the fixture's hub: its port 53 and its nftables table) never run at the same time.
/// </summary>
public sealed class HubNetworkingTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static V1Pod HttpPod(string name) => TestPods.Pod(name, TestPods.Busybox("httpd",
        "mkdir -p /tmp/www && echo hello-from-$(hostname) > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"));

    private static string Fetch(string address, int port, int times) =>
        $"for i in $(seq {times}); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 {address} {port} | grep hello; done; echo fetched";

    private static V1EndpointSlice Slice(params (PodSandbox Pod, bool Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web-x",
            NamespaceProperty = "default",
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "web" },
        },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Pod.PodIP.ToString()],
            Hostname = e.Pod.Name,
            Conditions = new V1EndpointConditions { Ready = e.Ready },
        })],
    };

    private async Task<string[]> RunClientAsync(string name, string script, List<PodSandbox> started)
    {
        var pod = TestPods.Pod(name, TestPods.Busybox("main", script));
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string>(), Ct);
        started.Add(sandbox);
        var container = await _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct);
        await container.Exited.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        return TestPods.LogLines(container.LogPath);
    }

    private static async Task WaitAppliedAsync(ServiceProxy proxy, string fragment)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(proxy.Ruleset?.Contains(fragment, StringComparison.Ordinal) ?? false))
        {
            Assert.True(DateTime.UtcNow < deadline, "the proxy never applied " + fragment);
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task A_cluster_IP_reaches_every_ready_backend_itself_included_and_the_host_through_the_hub()
    {
        var started = new List<PodSandbox>();
        var proxy = await ServiceProxy.ForHubAsync(_runtime.Hub, cancellationToken: Ct);
        try
        {
            var web0Pod = HttpPod("web-0");
            var web1Pod = HttpPod("web-1");
            var web0 = await _runtime.RunPodSandboxAsync(web0Pod, new Dictionary<string, string>(), Ct);
            started.Add(web0);
            var web1 = await _runtime.RunPodSandboxAsync(web1Pod, new Dictionary<string, string>(), Ct);
            started.Add(web1);
            var web0Container = await _runtime.StartContainerAsync(web0, web0Pod.Spec.Containers[0], [], 0, Ct);
            await _runtime.StartContainerAsync(web1, web1Pod.Spec.Containers[0], [], 0, Ct);
            proxy.Start();
            proxy.UpsertService(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
                Spec = new V1ServiceSpec { Type = "ClusterIP", ClusterIP = "10.96.0.50", Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }] },
            });
            proxy.UpsertSlice(Slice((web0, true), (web1, true)));
            await WaitAppliedAsync(proxy, $"{web1.PodIP}:8080");

            var client = await RunClientAsync("client", Fetch("10.96.0.50", 80, 24), started);
            using var fromHost = await _runtime.Hub.ConnectTcpAsync(IPAddress.Parse("10.96.0.50"), 80, Ct);
            await fromHost.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), Ct);
            // busybox httpd writes headers and body separately, so one receive may hold only the headers: read to the
            // close HTTP/1.0 promises.
            using var hostReply = new MemoryStream();
            var buffer = new byte[4096];
            int read;
            while ((read = await fromHost.ReceiveAsync(buffer, Ct)) > 0)
            {
                hostReply.Write(buffer, 0, read);
            }

            Assert.Contains("hello-from-web-0", client);
            Assert.Contains("hello-from-web-1", client);
            Assert.Contains("hello-from-", Encoding.ASCII.GetString(hostReply.ToArray()), StringComparison.Ordinal);

            // Only web-0 ready: every request lands there, web-0 itself included (hairpin through the hub).
            proxy.UpsertSlice(Slice((web0, true), (web1, false)));
            await WaitAppliedAsync(proxy, "mod 1 vmap");
            var onlyWeb0 = await RunClientAsync("client-2", Fetch("10.96.0.50", 80, 6), started);
            var hairpin = await _runtime.ExecAsync(
                web0Container, ["sh", "-c", Fetch("10.96.0.50", 80, 2)], [], TimeSpan.FromSeconds(20), Ct);

            Assert.Equal(6, onlyWeb0.Count(l => l == "hello-from-web-0"));
            Assert.Contains("hello-from-web-0", hairpin.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await proxy.DisposeAsync();
            foreach (var s in started)
            {
                await _runtime.RemovePodSandboxAsync(s, Ct);
            }
        }

        var tables = await ExternalCommand.RunCheckedAsync("ip", ["netns", "exec", _runtime.Hub.HubNamespaceName, "nft", "list", "tables"]);
        Assert.DoesNotContain(NftRuleset.Table, tables, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pods_resolve_cluster_names_from_the_DNS_server_in_the_hub()
    {
        var index = new ClusterDnsIndex();
        index.UpsertService(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "nginx", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { ClusterIP = "None", Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }] },
        });
        index.UpsertSlice(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta
            {
                Name = "nginx-x",
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "nginx" },
            },
            AddressType = "IPv4",
            Endpoints =
            [
                new V1Endpoint { Addresses = ["10.88.200.1"], Hostname = "web-0", Conditions = new V1EndpointConditions { Ready = true } },
                new V1Endpoint { Addresses = ["10.88.200.2"], Hostname = "web-1", Conditions = new V1EndpointConditions { Ready = true } },
            ],
        });
        var (udp, tcp) = await ClusterDns.BindInHubAsync(_runtime.Hub);
        await using var server = new ClusterDnsServer(new ClusterDnsHandler(index), null, udp, tcp);
        server.Start();
        var started = new List<PodSandbox>();
        try
        {
            var lines = await RunClientAsync("resolver",
                "nslookup web-0.nginx.default.svc.cluster.local; getent hosts web-1.nginx; getent ahostsv4 nginx | awk '{print \"all \" $1}' | sort -u; "
                + "getent hosts nope.nginx; echo nope-rc=$?", started);

            var text = string.Join('\n', lines);
            Assert.Contains("10.88.200.1", text, StringComparison.Ordinal);
            Assert.Contains(lines, l => l.StartsWith("10.88.200.2", StringComparison.Ordinal) && l.Contains("web-1.nginx.default.svc.cluster.local", StringComparison.Ordinal));
            Assert.Contains("all 10.88.200.1", lines);
            Assert.Contains("all 10.88.200.2", lines);
            Assert.Contains("nope-rc=2", lines);
        }
        finally
        {
            foreach (var s in started)
            {
                await _runtime.RemovePodSandboxAsync(s, Ct);
            }
        }
    }

    private sealed class NoForwarding : IDnsForwarder
    {
        public Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);
    }

    [Fact]
    public async Task Through_the_API_a_pod_finds_a_Service_by_its_short_name_and_reaches_it_at_its_cluster_IP()
    {
        var registry = new ObjectRegistry(new MemoryStore(), TimeProvider.System, garbageCollectorEnabled: false);
        await registry.EnsureSystemNamespacesAsync(Ct);
        var client = new InProcessApiClient(registry, "test");
        var started = new List<PodSandbox>();
        await using var networking = await ClusterNetworking.StartAsync(client, _runtime.Hub, forwarder: new NoForwarding(), cancellationToken: Ct);
        try
        {
            var webPod = HttpPod("web-0");
            var web = await _runtime.RunPodSandboxAsync(webPod, new Dictionary<string, string>(), Ct);
            started.Add(web);
            await _runtime.StartContainerAsync(web, webPod.Spec.Containers[0], [], 0, Ct);
            var service = await client.CreateAsync(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = "front", NamespaceProperty = "default" },
                Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
            }, Ct);
            var slice = Slice((web, true));
            slice.Metadata.Name = "front-1";
            slice.Metadata.Labels["kubernetes.io/service-name"] = "front";
            await client.CreateAsync(slice, Ct);
            await WaitAppliedAsync(networking.Proxy, $"{web.PodIP}:8080");

            var lines = await RunClientAsync("caller",
                "ip=$(getent hosts front | awk '{print $1}'); echo resolved=$ip; " + Fetch("$ip", 80, 1), started);

            Assert.Contains($"resolved={service.Spec.ClusterIP}", lines);
            Assert.Contains("hello-from-web-0", lines);
        }
        finally
        {
            foreach (var s in started)
            {
                await _runtime.RemovePodSandboxAsync(s, Ct);
            }
        }
    }
}
