using k8s.Models;

namespace Berth.E2E;

/// <summary>
/// The node agent's lifecycle decisions against real sandboxed pods, with the API server in-process: readiness
/// gates, graceful deletion with a preStop hook, forced deletion, and status coalescing.
/// </summary>
public sealed class NodeAgentTests(InProcessNodeFixture fixture) : IClassFixture<InProcessNodeFixture>
{
    private static V1Pod Pod(string name, string script, long? grace = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = grace,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.36", Command = ["sh", "-c", script] }],
        },
    };

    private static string? Condition(V1Pod pod, string type) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == type)?.Status;

    [Fact]
    public async Task Ready_waits_for_every_readiness_gate_condition_another_controller_sets()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var pod = Pod("gated", "exec sleep 3600");
        pod.Spec.ReadinessGates = [new V1PodReadinessGate { ConditionType = "example.com/load-balancer" }];
        var running = await fixture.RunPodAsync(pod, p => Condition(p, "ContainersReady") == "True");

        var ready = running.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "ReadinessGatesNotReady"), (ready.Status, ready.Reason));
        Assert.Equal("corresponding condition of pod readiness gate \"example.com/load-balancer\" does not exist.", ready.Message);

        // Another controller sets its condition through pods/status; the agent keeps it and turns Ready on.
        running.Status.Conditions.Add(new V1PodCondition { Type = "example.com/load-balancer", Status = "True", LastTransitionTime = DateTime.UtcNow });
        await fixture.Client.UpdateStatusAsync(running);
        var gated = await fixture.WaitPodAsync("gated", p => Condition(p, "Ready") == "True");
        Assert.Equal("True", Condition(gated, "example.com/load-balancer"));
    }

    [Fact]
    public async Task Graceful_deletion_runs_preStop_stops_the_container_then_removes_the_pod()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var marker = Directory.CreateTempSubdirectory("berth-prestop-").FullName;
        try
        {
            var pod = Pod("graceful", "trap 'echo term > /out/term; exit 0' TERM; while true; do sleep 0.2; done", grace: 20);
            pod.Spec.Volumes = [new V1Volume { Name = "out", HostPath = new V1HostPathVolumeSource { Path = marker, Type = "Directory" } }];
            pod.Spec.Containers[0].VolumeMounts = [new V1VolumeMount { Name = "out", MountPath = "/out" }];
            pod.Spec.Containers[0].Lifecycle = new V1Lifecycle
            {
                PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "echo prestop > /out/prestop"] } },
            };
            await fixture.RunPodAsync(pod);

            var started = DateTime.UtcNow;
            await fixture.Client.DeleteAsync<V1Pod>("agent", "graceful");
            var terminating = await fixture.Client.GetAsync<V1Pod>("agent", "graceful");
            await WaitGoneAsync("graceful", TimeSpan.FromSeconds(30));

            Assert.NotNull(terminating?.Metadata.DeletionTimestamp);
            Assert.Equal("prestop\n", await File.ReadAllTextAsync(Path.Combine(marker, "prestop")));
            Assert.Equal("term\n", await File.ReadAllTextAsync(Path.Combine(marker, "term")));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the container stopped on SIGTERM, not at the end of the grace period");
        }
        finally
        {
            Directory.Delete(marker, recursive: true);
        }
    }

    [Fact]
    public async Task A_forced_deletion_kills_a_container_that_ignores_SIGTERM_at_once()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var running = await fixture.RunPodAsync(Pod("stubborn", "trap '' TERM; echo $$ > /dev/null; exec sleep 3600", grace: 600));
        var uid = running.Metadata.Uid;
        Assert.NotEmpty(SandboxProcesses(uid));

        await fixture.Client.DeleteAsync<V1Pod>("agent", "stubborn", new V1DeleteOptions { GracePeriodSeconds = 0 });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (SandboxProcesses(uid).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Null(await fixture.Client.GetAsync<V1Pod>("agent", "stubborn"));
        Assert.Empty(SandboxProcesses(uid));
    }

    [Fact]
    public async Task Conditions_keep_their_transition_time_until_they_flip_and_an_idle_pod_is_not_rewritten()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var running = await fixture.RunPodAsync(Pod("steady", "exec sleep 3600"), p => Condition(p, "Ready") == "True");
        await Task.Delay(2500);
        var later = await fixture.Client.GetAsync<V1Pod>("agent", "steady");

        Assert.Equal(running.Metadata.ResourceVersion, later!.Metadata.ResourceVersion);
        Assert.Equal(
            running.Status.Conditions.Select(c => (c.Type, c.LastTransitionTime)),
            later.Status.Conditions.Select(c => (c.Type, c.LastTransitionTime)));
        Assert.Equal("127.0.0.1", later.Status.HostIP);
        Assert.StartsWith("10.91.", later.Status.PodIP, StringComparison.Ordinal);
        Assert.Equal(later.Status.PodIP, Assert.Single(later.Status.PodIPs).Ip);
    }

    private async Task WaitGoneAsync(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await fixture.Client.GetAsync<V1Pod>("agent", name) is not null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"pod {name} was not removed within {timeout}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Processes whose command line names the pod's sandbox directory (bwrap and what it runs in the pod).</summary>
    private static List<int> SandboxProcesses(string uid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(uid, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return found;
    }
}
