using Berth.Node.Pods;
using Berth.Node.Runtime;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Node.Tests.Pods;

public sealed class PodWorkerTests(RuntimeFixture fixture)
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Reads events until one matches (or fails after the timeout), returning everything read.</summary>
    internal static async Task<List<PodEvent>> ReadUntilAsync(PodWorker worker, List<PodEvent> seen, Func<PodEvent, bool> match,
        TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            while (await worker.Events.WaitToReadAsync(cts.Token))
            {
                while (worker.Events.TryRead(out var e))
                {
                    seen.Add(e);
                    if (match(e))
                    {
                        return seen;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
        }

        var logs = worker.Sandbox is { } sb && Directory.Exists(sb.LogDirectory)
            ? string.Join("\n", Directory.EnumerateFiles(sb.LogDirectory, "*.log", SearchOption.AllDirectories)
                .Select(f => $"--- {f}\n{File.ReadAllText(f)}"))
            : "";
        Assert.Fail("expected event not seen; got:\n" + string.Join("\n", seen) + "\nlogs:\n" + logs);
        return seen;
    }

    [Fact]
    public async Task InitContainers_run_in_order_to_completion_before_the_app_container()
    {
        var app = TestPods.Busybox("app", "cat /work/order; sleep 30");
        app.VolumeMounts = [new V1VolumeMount { Name = "work", MountPath = "/work" }];
        var init1 = TestPods.Busybox("first", "echo first >> /work/order");
        var init2 = TestPods.Busybox("second", "grep -q first /work/order && echo second >> /work/order");
        init1.VolumeMounts = app.VolumeMounts;
        init2.VolumeMounts = app.VolumeMounts;
        var pod = TestPods.Pod("init-0", app);
        pod.Spec.InitContainers = [init1, init2];
        pod.Spec.Volumes = [new V1Volume { Name = "work", EmptyDir = new V1EmptyDirVolumeSource() }];

        await using var worker = new PodWorker(_runtime, pod);
        Assert.Equal("Pending", worker.Phase);
        worker.Start();
        var events = await ReadUntilAsync(worker, [], e => e is PodPhaseChanged { Phase: "Running" });
        var started = events.OfType<KubeletEvent>().Where(e => e.Reason == "Started").Select(e => e.FieldPath).ToList();
        Assert.Equal(["spec.initContainers{first}", "spec.initContainers{second}", "spec.containers{app}"], started);
        var status = worker.BuildStatus();
        Assert.All(status.InitContainerStatuses, s => Assert.Equal("Completed", s.State.Terminated.Reason));
        Assert.Equal("True", status.Conditions.Single(c => c.Type == "Initialized").Status);
        Assert.Equal(worker.Sandbox!.PodIP.ToString(), status.PodIP);
        var log = await TestPods.WaitForLogAsync(worker.RunningContainer("app")!.LogPath, l => l.Length >= 2);
        Assert.Equal(["first", "second"], log);
    }

    [Fact]
    public async Task A_crashing_container_goes_into_CrashLoopBackOff_with_doubling_delays()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pod = TestPods.Pod("crash-0", TestPods.Busybox("main", "echo crashing; exit 3"));
        await using var worker = new PodWorker(_runtime, pod, new PodWorkerOptions { TimeProvider = time });
        worker.Start();
        var events = new List<PodEvent>();

        // First crash: restarted at once (kubelet has no back-off entry yet); second crash: back-off 10s.
        await ReadUntilAsync(worker, events, e => e is ContainerStatusChanged { Status.State.Waiting.Reason: "CrashLoopBackOff" });
        var waiting = worker.BuildStatus().ContainerStatuses[0];
        Assert.Equal(1, waiting.RestartCount);
        Assert.StartsWith("back-off 10s restarting failed container=main pod=crash-0_default(", waiting.State.Waiting.Message,
            StringComparison.Ordinal);
        Assert.Equal(3, waiting.LastState.Terminated.ExitCode);
        Assert.Equal("Error", waiting.LastState.Terminated.Reason);
        Assert.Contains(events, e => e is KubeletEvent { Reason: "BackOff", Type: "Warning" });
        Assert.Equal("Running", worker.Phase);

        // Nothing restarts until the fake clock passes 10 s; then the next back-off is 20 s.
        await Task.Delay(300, Ct);
        Assert.Equal(1, worker.BuildStatus().ContainerStatuses[0].RestartCount);
        time.Advance(TimeSpan.FromSeconds(10));
        events.Clear();
        await ReadUntilAsync(worker, events, e => e is ContainerStatusChanged { Status.State.Waiting.Reason: "CrashLoopBackOff" });
        var again = worker.BuildStatus().ContainerStatuses[0];
        Assert.Equal(2, again.RestartCount);
        Assert.StartsWith("back-off 20s ", again.State.Waiting.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_liveness_probe_restarts_the_container()
    {
        var c = TestPods.Busybox("main", "touch /tmp/healthy; sleep 1; rm /tmp/healthy; sleep 600");
        c.LivenessProbe = new V1Probe
        {
            Exec = new V1ExecAction { Command = ["test", "-f", "/tmp/healthy"] },
            PeriodSeconds = 1,
            FailureThreshold = 1,
        };
        var pod = TestPods.Pod("live-0", c);
        pod.Spec.TerminationGracePeriodSeconds = 1;
        await using var worker = new PodWorker(_runtime, pod);
        worker.Start();
        var events = await ReadUntilAsync(worker, [], e => e is ContainerStatusChanged { Status: { RestartCount: 1, State.Running: not null } },
            TimeSpan.FromSeconds(30));
        Assert.Contains(events, e => e is KubeletEvent { Reason: "Unhealthy", Message: var m } && m.StartsWith("Liveness probe failed", StringComparison.Ordinal));
        Assert.Contains(events, e => e is KubeletEvent { Reason: "Killing", Message: "Container main failed liveness probe, will be restarted" });
        Assert.Contains(events, e => e is ProbeResultChanged { Kind: ProbeKind.Liveness, Success: false });
        var status = worker.BuildStatus().ContainerStatuses[0];
        Assert.Equal(143, status.LastState.Terminated.ExitCode);
    }

    [Fact]
    public async Task An_image_not_in_the_catalog_without_a_command_waits_with_a_clear_reason()
    {
        var pod = TestPods.Pod("unknown-0", new V1Container { Name = "main", Image = "registry.example.com/team/thing:1.0" });
        await using var worker = new PodWorker(_runtime, pod);
        worker.Start();
        var events = await ReadUntilAsync(worker, [], e => e is ContainerStatusChanged { Status.State.Waiting.Reason: "ErrImagePull" });
        var message = worker.BuildStatus().ContainerStatuses[0].State.Waiting.Message;
        Assert.Contains("registry.example.com/team/thing:1.0", message, StringComparison.Ordinal);
        Assert.Contains("add an entry named \"team/thing\"", message, StringComparison.Ordinal);
        Assert.Contains(events, e => e is KubeletEvent { Reason: "Failed", Type: "Warning" });
        Assert.Equal("Pending", worker.Phase);
    }

    [Fact]
    public async Task A_command_that_does_not_exist_is_a_StartError_with_exit_code_128()
    {
        var pod = TestPods.Pod("nocmd-0", new V1Container { Name = "main", Image = "busybox", Command = ["no-such-binary", "x"] });
        pod.Spec.RestartPolicy = "Never";
        await using var worker = new PodWorker(_runtime, pod);
        worker.Start();
        await ReadUntilAsync(worker, [], e => e is PodPhaseChanged { Phase: "Failed" });
        var terminated = worker.BuildStatus().ContainerStatuses[0].State.Terminated;
        Assert.Equal(128, terminated.ExitCode);
        Assert.Equal("StartError", terminated.Reason);
        Assert.Equal("exec: \"no-such-binary\": executable file not found in $PATH", terminated.Message);
    }

    [Fact]
    public async Task A_container_over_its_memory_limit_is_OOMKilled()
    {
        Assert.SkipWhen(_runtime.CgroupVersion is null, "no writable cgroup hierarchy on this host");
        var c = TestPods.Busybox("main", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done");
        c.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("16Mi") } };
        var pod = TestPods.Pod("oom-0", c);
        pod.Spec.RestartPolicy = "Never";
        await using var worker = new PodWorker(_runtime, pod);
        worker.Start();
        await ReadUntilAsync(worker, [], e => e is PodPhaseChanged { Phase: "Failed" }, TimeSpan.FromSeconds(30));
        var terminated = worker.BuildStatus().ContainerStatuses[0].State.Terminated;
        Assert.Equal("OOMKilled", terminated.Reason);
        Assert.Equal(137, terminated.ExitCode);
    }

    [Fact]
    public async Task Env_from_fieldRef_and_expansion_reach_the_process()
    {
        var c = TestPods.Busybox("main", "echo $POD_NAME/$POD_NAMESPACE/$POD_IP/$GREETING");
        c.Env =
        [
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
            new V1EnvVar { Name = "POD_NAMESPACE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" } } },
            new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
            new V1EnvVar { Name = "GREETING", Value = "hi-$(POD_NAME)" },
        ];
        var pod = TestPods.Pod("env-0", c);
        pod.Spec.RestartPolicy = "Never";
        await using var worker = new PodWorker(_runtime, pod);
        worker.Start();
        await ReadUntilAsync(worker, [], e => e is PodPhaseChanged { Phase: "Succeeded" });
        var log = Path.Combine(worker.Sandbox!.LogDirectory, "main", "0.log");
        Assert.Equal([$"env-0/default/{worker.Sandbox.PodIP}/hi-env-0"], TestPods.LogLines(log));
    }
}
