using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Berth.Node.Runtime;

namespace Berth.Node.Tests.Runtime;

public sealed class PodNetworkTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The hub's links by name (without the <c>@ifN</c> peer suffix) with their MAC addresses.</summary>
    private async Task<Dictionary<string, string>> HubLinkAddressesAsync()
    {
        var output = await ExternalCommand.RunCheckedAsync("ip", ["-n", _runtime.Hub.HubNamespaceName, "-br", "link"], cancellationToken: Ct);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 3)
            .ToDictionary(fields => fields[0].Split('@')[0], fields => fields[2], StringComparer.Ordinal);
    }

    [Fact]
    public async Task The_hub_bridge_keeps_its_own_MAC_address_while_pods_come_and_go()
    {
        // Pods cache the bridge's MAC for the gateway and cluster DNS: were it to change with the ports, their
        // queries would go to a MAC nobody answers until the ARP entry expires.
        var before = (await HubLinkAddressesAsync())[HubNetwork.BridgeName];
        var attached = new List<PodNetwork>();
        Dictionary<string, string> during;
        try
        {
            for (var i = 0; i < 4; i++)
            {
                attached.Add(await _runtime.Hub.AttachPodAsync(Ct));
            }

            during = await HubLinkAddressesAsync();
        }
        finally
        {
            foreach (var network in attached)
            {
                await _runtime.Hub.DetachPodAsync(network, CancellationToken.None);
            }
        }

        var after = (await HubLinkAddressesAsync())[HubNetwork.BridgeName];

        Assert.Equal(before, during[HubNetwork.BridgeName]);
        Assert.Equal(before, after);
        Assert.All(attached, network => Assert.NotEqual(before, during[network.HubVeth]));
    }

    [Fact]
    public async Task Two_pods_reach_each_other_over_the_bridge_and_nothing_outside()
    {
        // A listener on every host address: if pod traffic could leave the hub, the pod would reach it.
        using var hostListener = new TcpListener(IPAddress.Any, 0);
        hostListener.Start();
        var hostPort = ((IPEndPoint)hostListener.LocalEndpoint).Port;
        var hostIp = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork);

        var serverPod = TestPods.Pod("web-0", TestPods.Busybox("httpd",
            "mkdir -p /tmp/www && echo pong-from-$(hostname) > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"));
        var server = await _runtime.RunPodSandboxAsync(serverPod, new Dictionary<string, string>(), Ct);
        var client = default(PodSandbox);
        try
        {
            await _runtime.StartContainerAsync(server, serverPod.Spec.Containers[0], [], 0, Ct);
            var clientPod = TestPods.Pod("client-0", TestPods.Busybox("main",
                // (Debian's busybox wget crashes, so plain HTTP through nc.)
                $"for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 {server.PodIP} 8080 | grep pong && break; sleep 0.2; done; " +
                $"nc -w 2 {hostIp} {hostPort} </dev/null; echo host-rc=$?; echo done"));
            client = await _runtime.RunPodSandboxAsync(clientPod, new Dictionary<string, string>(), Ct);
            Assert.NotEqual(server.PodIP, client.PodIP);
            var c = await _runtime.StartContainerAsync(client, clientPod.Spec.Containers[0], [], 0, Ct);
            var exit = await c.Exited.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            var lines = TestPods.LogLines(c.LogPath);
            Assert.Contains("pong-from-web-0", lines);
            Assert.DoesNotContain("host-rc=0", lines);
            Assert.Contains("done", lines);
            Assert.Equal(0, exit.ExitCode);
            Assert.Equal(ContainerReasons.Completed, exit.Reason);

            // The host namespace has no route to pods either (the `unreachable` safety net), only the hub helper.
            using var direct = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Assert.ThrowsAnyAsync<SocketException>(async () => await direct.ConnectAsync(server.PodIP, 8080, Ct));
            using var viaHub = await _runtime.ConnectAsync(server, 8080, Ct);
            Assert.True(viaHub.Connected);
        }
        finally
        {
            if (client is not null)
            {
                await _runtime.RemovePodSandboxAsync(client, Ct);
            }

            await _runtime.RemovePodSandboxAsync(server, Ct);
        }
    }
}
