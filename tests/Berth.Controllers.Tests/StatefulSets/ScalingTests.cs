using Berth.Controllers.Simulation;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

/// <summary>Runs on the fake API; ScalingOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class ScalingTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    private static List<string> PodWrites(TestCluster c, string verb) =>
        [.. c.Api.Actions.Where(a => a.Verb == verb && a.Resource == "pods" && a.Subresource is null).Select(a => a.Name).Distinct()];

    [Fact]
    public async Task Scaling_should_happen_in_predictable_order_and_halt_if_any_stateful_pod_is_unhealthy()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);

        // Scale-up halts while web-0 is unhealthy.
        await c.AnnotatePodAsync("web-0", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.WaitAsync(() => c.Set().Status.ReadyReplicas == 0, "web-0 unready");
        c.Api.ClearActions();
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 3);
        await c.SettleAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(PodWrites(c, "create"));

        await c.AnnotatePodAsync("web-0", SimulatedNode.SimulateReadyAnnotation, null);
        await c.WaitReadyAsync("web", 3);
        Assert.Equal(["web-1", "web-2"], PodWrites(c, "create"));

        // Scale-down halts while pods are unhealthy, then goes in reverse ordinal order.
        foreach (var name in c.PodNames("web"))
        {
            await c.AnnotatePodAsync(name, SimulatedNode.SimulateReadyAnnotation, "false");
        }

        await c.WaitAsync(() => c.Set().Status.ReadyReplicas == 0, "all unready");
        c.Api.ClearActions();
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 0);
        await c.SettleAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(PodWrites(c, "delete"));
        Assert.Equal(3, c.Pods("web").Count);

        // Healed from the highest ordinal down: upstream deletes a condemned pod that is the first unhealthy one, so
        // healing web-0 and web-1 first would let web-2 go before the test reaches it.
        foreach (var name in Enumerable.Reverse(c.PodNames("web")))
        {
            await c.AnnotatePodAsync(name, SimulatedNode.SimulateReadyAnnotation, null);
        }

        await c.WaitAsync(() => c.Pods("web").Count == 0 && c.Set().Status.Replicas == 0, "scaled to 0");
        Assert.Equal(["web-2", "web-1", "web-0"], PodWrites(c, "delete"));
    }

    [Fact]
    public async Task Burst_scaling_should_run_to_completion_even_with_unhealthy_pods()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false, parallel: true));
        await c.WaitReadyAsync("web", 1);
        await c.AnnotatePodAsync("web-0", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.WaitAsync(() => c.Set().Status.ReadyReplicas == 0, "web-0 unready");

        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 3);
        await c.WaitAsync(() => c.Set().Status.Replicas == 3 && c.Set().Status.ReadyReplicas == 2, "burst scale up");

        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 0);
        await c.WaitAsync(() => c.Pods("web").Count == 0 && c.Set().Status.Replicas == 0, "burst scale down");
    }

    [Fact]
    public async Task Should_recreate_an_evicted_statefulset_pod()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);
        var uid = c.Get<V1Pod>("web-0")!.Metadata.Uid;

        // The kubelet rejects the pod (phase Failed): the controller deletes it and creates a new one.
        await c.AnnotatePodAsync("web-0", SimulatedNode.SimulatePhaseAnnotation, "Failed");
        await c.WaitAsync(() => c.Get<V1Pod>("web-0") is { } p && p.Metadata.Uid != uid && c.AllReady("web", 1), "web-0 recreated");
        // Events are written by the recorder's own loop, which may trail the pods it reports on.
        await c.WaitAsync(() => c.Events().Any(e => e.Reason == "SuccessfulDelete" && e.Message == "delete Pod web-0 in StatefulSet web successful"),
            "SuccessfulDelete event");
    }

    [Fact]
    public async Task Start_ordinal_changes_replace_pods_by_ordinal()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);

        await c.UpdateSetAsync("web", s => (s.Spec.Replicas, s.Spec.Ordinals) = (3, new V1StatefulSetOrdinals { Start = 2 }));
        await c.WaitAsync(() => c.PodNames("web").SequenceEqual(["web-2", "web-3", "web-4"]) && c.AllReady("web", 3), "start 2");
        Assert.Equal("2", c.Get<V1Pod>("web-2")!.Metadata.Labels["apps.kubernetes.io/pod-index"]);

        await c.UpdateSetAsync("web", s => (s.Spec.Replicas, s.Spec.Ordinals) = (2, new V1StatefulSetOrdinals { Start = 4 }));
        await c.WaitAsync(() => c.PodNames("web").SequenceEqual(["web-4", "web-5"]) && c.AllReady("web", 2), "start 4");

        await c.UpdateSetAsync("web", s => s.Spec.Ordinals = new V1StatefulSetOrdinals { Start = 3 });
        await c.WaitAsync(() => c.PodNames("web").SequenceEqual(["web-3", "web-4"]) && c.AllReady("web", 2), "start 3");

        await c.UpdateSetAsync("web", s => s.Spec.Ordinals = null);
        await c.WaitAsync(() => c.PodNames("web").SequenceEqual(["web-0", "web-1"]) && c.AllReady("web", 2), "start removed");
    }

    [Fact]
    public async Task MinReadySeconds_gates_availableReplicas()
    {
        await using var c = await StartAsync();
        c.Step = TimeSpan.FromSeconds(1);
        var manifest = TestSets.Web(replicas: 2, claims: false, parallel: true);
        manifest.Spec.MinReadySeconds = 30;
        await c.CreateAsync(manifest);
        await c.WaitAsync(() => c.Set().Status?.ReadyReplicas == 2, "ready", TimeSpan.Zero);
        Assert.Equal(0, c.Set().Status.AvailableReplicas);

        // 30 s of (fake) time later the controller's delayed requeue makes them available.
        await c.WaitAsync(() => c.Set().Status.AvailableReplicas == 2, "available after minReadySeconds", TimeSpan.FromSeconds(40));

        await c.UpdateSetAsync("web", s => s.Spec.MinReadySeconds = 3600);
        await c.WaitAsync(() => c.Set().Status.AvailableReplicas == 0, "unavailable with 3600", TimeSpan.FromSeconds(10));

        await c.UpdateSetAsync("web", s => s.Spec.MinReadySeconds = 0);
        await c.WaitAsync(() => c.Set().Status.AvailableReplicas == 2, "available with 0", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Status_counts_follow_the_pods_and_observedGeneration_follows_the_spec()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);
        var s = c.Set();
        Assert.Equal((2, 2, 2, 2, 2, 1L), (s.Status.Replicas, s.Status.ReadyReplicas ?? 0, s.Status.AvailableReplicas ?? 0,
            s.Status.CurrentReplicas ?? 0, s.Status.UpdatedReplicas ?? 0, s.Status.ObservedGeneration ?? 0));
        Assert.Equal(0, s.Status.CollisionCount);

        await c.UpdateSetAsync("web", x => x.Spec.Replicas = 3);
        await c.WaitReadyAsync("web", 3);
        Assert.Equal(2L, c.Set().Status.ObservedGeneration);
    }
}
