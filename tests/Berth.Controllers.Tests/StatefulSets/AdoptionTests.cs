using Berth.Controllers.Simulation;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

/// <summary>Runs on the fake API; AdoptionOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class AdoptionTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    [Fact]
    public async Task Should_adopt_matching_orphans_and_release_non_matching_pods()
    {
        await using var c = await StartAsync();
        var set = await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);

        // Orphan the pod: the controller re-adopts it (same pod, same uid).
        var uid = c.Get<V1Pod>("web-0")!.Metadata.Uid;
        await c.UpdatePodAsync("web-0", p => p.Metadata.OwnerReferences = null);
        await c.WaitAsync(() => c.Get<V1Pod>("web-0")?.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == set.Metadata.Uid, "re-adoption");
        Assert.Equal(uid, c.Get<V1Pod>("web-0")!.Metadata.Uid);

        // Labels that no longer match: released (ownerRef removed), and a replacement is not possible while the
        // released pod holds the name.
        await c.UpdatePodAsync("web-0", p => p.Metadata.Labels["app"] = "other");
        await c.WaitAsync(() => c.Get<V1Pod>("web-0")?.Metadata.OwnerReferences is null or { Count: 0 }, "release");

        // Matching labels again: adopted again.
        await c.UpdatePodAsync("web-0", p => p.Metadata.Labels["app"] = "web");
        await c.WaitAsync(() => c.Get<V1Pod>("web-0")?.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == set.Metadata.Uid, "adoption after relabel");
        Assert.Equal(uid, c.Get<V1Pod>("web-0")!.Metadata.Uid);
    }

    [Fact]
    public async Task A_pod_of_another_name_pattern_is_not_adopted()
    {
        await using var c = await StartAsync();
        await c.Api.CreateAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "stray", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "web" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, TestContext.Current.CancellationToken);
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);
        Assert.Null(c.Get<V1Pod>("stray")!.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task Should_not_deadlock_when_a_pods_predecessor_fails()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);

        await c.AnnotatePodAsync("web-1", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.WaitAsync(() => c.Set().Status.ReadyReplicas == 1, "web-1 unready");

        var old = c.Get<V1Pod>("web-0")!.Metadata.Uid;
        await c.DeletePodAsync("web-0");
        await c.WaitAsync(() => c.Get<V1Pod>("web-0") is { } p && p.Metadata.Uid != old && p.Status?.Phase == "Running"
            && p.Status.Conditions.Any(x => x.Type == "Ready" && x.Status == "True"), "web-0 recreated and ready");

        await c.AnnotatePodAsync("web-1", SimulatedNode.SimulateReadyAnnotation, null);
        await c.WaitReadyAsync("web", 2);
    }
}
