using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Berth.Node.Runtime;

namespace Berth.Node.Tests.Runtime;

public sealed class PodNetworkTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
