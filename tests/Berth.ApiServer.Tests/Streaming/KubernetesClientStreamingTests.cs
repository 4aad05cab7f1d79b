using System.Text;
using k8s;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>
/// The official .NET KubernetesClient against the same server: its exec and port-forward speak the kubelet's
/// v4.channel.k8s.io WebSocket protocol (not what kubectl uses), including port-forward's port-prefixed channels.
/// </summary>
public sealed class KubernetesClientStreamingTests : IClassFixture<StreamingServer>
{
    private readonly StreamingServer _server;

    public KubernetesClientStreamingTests(StreamingServer server) => _server = server;

    [Fact]
    public async Task Exec_over_v4_returns_output_and_exit_codes()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.Kubeconfig));
        var output = "";

        var ok = await client.NamespacedPodExecAsync("web-0", "default", "app", ["echo", "from", "dotnet"], false,
            async (_, stdout, _) => output = await new StreamReader(stdout).ReadToEndAsync(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        var failed = await client.NamespacedPodExecAsync("web-0", "default", "app", ["sh", "-c", "exit 7"], false,
            (_, _, _) => Task.CompletedTask, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, ok);
        Assert.Equal("from dotnet\n", output);
        Assert.Equal(7, failed);
    }

    [Fact]
    public async Task Port_forward_over_v4_channels_round_trips()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.Kubeconfig));
        using var socket = await client.WebSocketNamespacedPodPortForwardAsync("web-0", "default", [80], "v4.channel.k8s.io");
        using var demux = new StreamDemuxer(socket, StreamType.PortForward);
        demux.Start();
        var stream = demux.GetStream((byte?)0, (byte?)0);

        await stream.WriteAsync(Encoding.ASCII.GetBytes("ping over channels\n"));
        var echoed = new StringBuilder();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!echoed.ToString().EndsWith('\n'))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            Assert.NotEqual(0, n);
            echoed.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        Assert.Equal("ping over channels\n", echoed.ToString());
    }
}
