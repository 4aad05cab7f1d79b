using Berth.Node.Runtime;

namespace Berth.Node.Tests.Runtime;

public sealed class SandboxRuntimeTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Busybox_pod_has_hostname_equal_to_pod_name_and_its_own_ip()
    {
        var pod = TestPods.Pod("hello-0", TestPods.Busybox("main", "hostname; ip -4 -o addr show eth0; cat /etc/resolv.conf; sleep 30"));
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string>(), Ct);
        try
        {
            var c = await _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct);
            var lines = await TestPods.WaitForLogAsync(c.LogPath, l => l.Any(x => x.StartsWith("options", StringComparison.Ordinal)));
            Assert.Equal("hello-0", lines[0]);
            Assert.Contains($"inet {sandbox.PodIP}/16", lines[1], StringComparison.Ordinal);
            Assert.Contains("search default.svc.cluster.local svc.cluster.local cluster.local", lines);
            Assert.NotEqual("hello-0", Environment.MachineName);
            // The pod was wired over rtnetlink, not by falling back to the ip tool.
            Assert.False(_runtime.Hub.UsesIpTool);
            var exit = await _runtime.StopContainerAsync(c, TimeSpan.FromSeconds(5), Ct);
            Assert.Equal(143, exit.ExitCode);
            Assert.Equal(ContainerReasons.Error, exit.Reason);
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        }
    }
}
