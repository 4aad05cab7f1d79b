using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Runtime;

/// <summary>A runtime of its own (own hub), so disposing it can be checked for leftovers.</summary>
public sealed class CleanupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Disposing_the_runtime_leaves_no_namespace_mount_cgroup_or_process_behind()
    {
        var state = Path.Combine(Path.GetTempPath(), $"berth-cleanup-{Guid.NewGuid():N}");
        var runtime = await SandboxRuntime.CreateAsync(new SandboxRuntimeOptions { StateDirectory = state, PodCidr = "10.89.0.0/24" });
        var runId = runtime.Hub.RunId;
        var pids = new List<int>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var c = TestPods.Busybox("main", "sleep 600 & sleep 600");
                // A limit, so the container gets cgroups too.
                c.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } };
                var pod = TestPods.Pod($"leak-{i}", c);
                pod.Spec.Volumes = [new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }];
                var sandbox = await runtime.RunPodSandboxAsync(pod, new Dictionary<string, string>(), Ct);
                var process = await runtime.StartContainerAsync(sandbox, c, [], 0, Ct);
                pids.AddRange([process.OuterPid, process.Pid1, process.PayloadPid]);
            }

            Assert.NotEmpty(Directory.EnumerateFiles("/run/netns", $"berth-{runId}-*"));
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(state, StringComparison.Ordinal));
            Assert.All(pids, p => Assert.True(Directory.Exists($"/proc/{p}"), $"process {p} should be running"));
        }
        finally
        {
            await runtime.DisposeAsync();
        }

        Assert.Empty(Directory.EnumerateFiles("/run/netns", $"berth-{runId}-*"));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(state, StringComparison.Ordinal));
        Assert.False(Directory.Exists($"/sys/fs/cgroup/memory/berth/{runId}"));
        Assert.False(Directory.Exists($"/sys/fs/cgroup/berth/{runId}"));
        Assert.False(File.Exists($"/run/berth/runs/{runId}"));
        Assert.DoesNotContain("10.89.0.0/24", (await Berth.Node.Runtime.ExternalCommand.RunAsync("ip", ["route"])).StandardOutput,
            StringComparison.Ordinal);
        // Every process of the pods is gone (zombies included: /proc/<pid> disappears once reaped).
        foreach (var p in pids)
        {
            Assert.False(Directory.Exists($"/proc/{p}") && !File.ReadAllText($"/proc/{p}/stat").Contains(" Z ", StringComparison.Ordinal),
                $"process {p} survived");
        }

        // The pods' state (layers, emptyDirs) is gone; only the state root and shared image helpers remain.
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(state, "pods")));
        Directory.Delete(state, recursive: true);
    }
}
