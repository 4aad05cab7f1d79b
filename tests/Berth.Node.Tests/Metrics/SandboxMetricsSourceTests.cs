using Berth.Core.Metrics;
using Berth.Node.Metrics;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Metrics;

/// <summary>The sandbox node's kubectl top figures from real pods: a cgroup-limited one and ones counted from /proc.</summary>
public sealed class SandboxMetricsSourceTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static V1Pod OnNode(V1Pod pod)
    {
        pod.Spec.NodeName = "metrics-node";
        return pod;
    }

    private static async Task<PodUsage> UsageAsync(SandboxMetricsSource source, V1Pod pod, Func<PodUsage, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        PodUsage? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await source.GetPodUsageAsync(pod, Ct);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(250, Ct);
        }

        throw new Xunit.Sdk.XunitException($"no figures for {pod.Metadata.Name}; last: {last?.Containers.FirstOrDefault()}");
    }

    [Fact]
    public async Task A_busy_loop_shows_more_cpu_than_an_idle_container_and_a_limited_one_reports_its_cgroup_memory()
    {
        var burn = OnNode(TestPods.Pod("burn-0", TestPods.Busybox("main", "while :; do :; done")));
        var idle = OnNode(TestPods.Pod("idle-0", TestPods.Busybox("main", "sleep 3600")));
        // 48 MiB in the container's own /dev/shm tmpfs: shared memory is charged to its cgroup and is never inactive file.
        var hold = OnNode(TestPods.Pod("hold-0", TestPods.Busybox("main", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 && sleep 3600")));
        hold.Spec.Containers[0].Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi"), ["cpu"] = new("1") },
        };
        var sandboxes = new List<PodSandbox>();
        var containers = new Dictionary<string, ContainerProcess>();
        using var source = new SandboxMetricsSource("metrics-node", TimeProvider.System);
        source.Attach(_runtime);
        try
        {
            foreach (var pod in (V1Pod[])[burn, idle, hold])
            {
                var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string>(), Ct);
                sandboxes.Add(sandbox);
                containers[pod.Metadata.Name] = await _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct);
            }

            Assert.Null(await source.GetPodUsageAsync(OnNode(TestPods.Pod("not-running-0")), Ct));
            var held = await UsageAsync(source, hold, u => u.Containers[0].Usage.MemoryBytes >= 48L * 1024 * 1024);
            Assert.Equal("main", Assert.Single(held.Containers).Name);
            Assert.InRange(held.Containers[0].Usage.MemoryBytes, 48L * 1024 * 1024, 256L * 1024 * 1024);
            Assert.True(held.Window >= CpuRateHistory.MinimumWindow);

            // Wait for a window of a few seconds so the loaded machine's scheduling evens out.
            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            var busy = await UsageAsync(source, burn, _ => true);
            var quiet = await UsageAsync(source, idle, _ => true);
            var busyCpu = busy.Containers[0].Usage.CpuNanoCores;
            var quietCpu = quiet.Containers[0].Usage.CpuNanoCores;
            Assert.True(busyCpu >= 50_000_000 && busyCpu > 10 * quietCpu, $"busy {busyCpu}n, idle {quietCpu}n");
            Assert.InRange(busyCpu, 0, Environment.ProcessorCount * 1_100_000_000L);
            Assert.True(quiet.Containers[0].Usage.MemoryBytes > 0);

            var node = await source.GetNodeUsageAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "metrics-node" } }, Ct);
            Assert.NotNull(node);
            Assert.True(node.Usage.CpuNanoCores >= 0 && node.Usage.MemoryBytes > 48L * 1024 * 1024);
            Assert.Null(await source.GetNodeUsageAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "other" } }, Ct));

            // kubectl exec's processes run inside the container's cgroup, as runc exec puts them.
            var exec = await _runtime.ExecAsync(containers["hold-0"], ["cat", "/proc/self/cgroup"], [], TimeSpan.FromSeconds(30), Ct);
            Assert.True(exec.ExitCode == 0, exec.StandardError);
            Assert.Matches(@"(?m)^\d+:(memory)?:/berth/[^/]+/default_hold-0_main_0$", exec.StandardOutput);
        }
        finally
        {
            source.Detach();
            foreach (var sandbox in sandboxes)
            {
                await _runtime.RemovePodSandboxAsync(sandbox, Ct);
            }
        }
    }
}
