using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

/// <summary>Runs on the fake API; RollingUpdateOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class RollingUpdateTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    private static string Image(TestCluster c, string pod) => c.Get<V1Pod>(pod)!.Spec.Containers[0].Image;

    // Each pod is deleted twice: by the controller (graceful) and then by the node (grace 0); the first matters.
    private static List<string> DeletedPods(TestCluster c) =>
        [.. c.Api.Actions.Where(a => a.Verb == "delete" && a.Resource == "pods").Select(a => a.Name).Distinct()];

    private static bool Rolled(TestCluster c, int replicas, string revision) =>
        c.AllReady("web", replicas) && c.Set().Status is { } s && s.UpdateRevision == revision && s.CurrentRevision == revision
        && s.UpdatedReplicas == replicas && c.Pods("web").All(p => p.Metadata.Labels["controller-revision-hash"] == revision);

    [Fact]
    public async Task Should_perform_rolling_updates_and_roll_backs_of_template_modifications()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 3, claims: true));
        await c.WaitReadyAsync("web", 3);
        var first = c.Set().Status;
        Assert.Equal(first.CurrentRevision, first.UpdateRevision);
        Assert.Equal(3, first.CurrentReplicas);

        c.Api.ClearActions();
        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28");
        await c.WaitAsync(() => c.Set().Status.UpdateRevision != first.UpdateRevision, "a new update revision");
        var second = c.Set().Status.UpdateRevision;
        await c.WaitAsync(() => Rolled(c, 3, second), "rolled to the new revision");
        Assert.Equal(["web-2", "web-1", "web-0"], DeletedPods(c));
        Assert.All(c.Pods("web"), p => Assert.Equal("nginx:1.28", p.Spec.Containers[0].Image));

        // Roll back: the template equals the first revision again, so that revision is reused (renumbered to 3).
        c.Api.ClearActions();
        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.27");
        await c.WaitAsync(() => Rolled(c, 3, first.UpdateRevision), "rolled back");
        Assert.Equal(["web-2", "web-1", "web-0"], DeletedPods(c));
        var revisions = c.Revisions();
        Assert.Equal(2, revisions.Count);
        Assert.Equal((first.UpdateRevision, 3L), (revisions[^1].Metadata.Name, revisions[^1].Revision!.Value));
        Assert.Equal((second, 2L), (revisions[0].Metadata.Name, revisions[0].Revision!.Value));
        Assert.DoesNotContain(c.Api.Actions, a => a.Verb == "create" && a.Resource == "controllerrevisions");
    }

    [Fact]
    public async Task Should_perform_canary_updates_and_phased_rolling_updates()
    {
        await using var c = await StartAsync();
        var manifest = TestSets.Web(replicas: 3, claims: false);
        manifest.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = 3 } };
        await c.CreateAsync(manifest);
        await c.WaitReadyAsync("web", 3);
        var old = c.Set().Status.CurrentRevision;

        // Partition == replicas: a template change updates nothing.
        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28");
        await c.WaitAsync(() => c.Set().Status.UpdateRevision != old, "new update revision");
        var updated = c.Set().Status.UpdateRevision;
        await c.SettleAsync(TimeSpan.FromSeconds(5));
        Assert.All(c.Pods("web"), p => Assert.Equal(old, p.Metadata.Labels["controller-revision-hash"]));

        // Canary: partition 2 updates web-2 only.
        await c.UpdateSetAsync("web", s => s.Spec.UpdateStrategy.RollingUpdate.Partition = 2);
        await c.WaitAsync(() => c.Get<V1Pod>("web-2")?.Metadata.Labels["controller-revision-hash"] == updated && c.AllReady("web", 3), "canary");
        Assert.Equal("nginx:1.27", Image(c, "web-0"));
        Assert.Equal("nginx:1.27", Image(c, "web-1"));
        Assert.Equal("nginx:1.28", Image(c, "web-2"));

        // A deleted pod below the partition comes back at the old revision.
        var uid = c.Get<V1Pod>("web-1")!.Metadata.Uid;
        await c.DeletePodAsync("web-1");
        await c.WaitAsync(() => c.Get<V1Pod>("web-1") is { } p && p.Metadata.Uid != uid && c.AllReady("web", 3), "web-1 recreated");
        Assert.Equal(old, c.Get<V1Pod>("web-1")!.Metadata.Labels["controller-revision-hash"]);

        // Phased: lower the partition step by step.
        for (var partition = 1; partition >= 0; partition--)
        {
            var p = partition;
            await c.UpdateSetAsync("web", s => s.Spec.UpdateStrategy.RollingUpdate.Partition = p);
            await c.WaitAsync(() => c.Get<V1Pod>($"web-{p}")?.Metadata.Labels["controller-revision-hash"] == updated && c.AllReady("web", 3), $"partition {p}");
        }

        await c.WaitAsync(() => c.Set().Status.CurrentRevision == updated, "current revision promoted");
        Assert.All(c.Pods("web"), p => Assert.Equal("nginx:1.28", p.Spec.Containers[0].Image));
    }

    [Fact]
    public async Task Should_implement_legacy_replacement_when_the_update_strategy_is_OnDelete()
    {
        await using var c = await StartAsync();
        var manifest = TestSets.Web(replicas: 3, claims: false);
        manifest.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "OnDelete" };
        await c.CreateAsync(manifest);
        await c.WaitReadyAsync("web", 3);
        var old = c.Set().Status.CurrentRevision;

        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28");
        await c.WaitAsync(() => c.Set().Status.UpdateRevision != old, "new update revision");
        await c.SettleAsync(TimeSpan.FromSeconds(5));
        Assert.All(c.Pods("web"), p => Assert.Equal("nginx:1.27", p.Spec.Containers[0].Image));

        await c.DeletePodAsync("web-1");
        await c.WaitAsync(() => c.Get<V1Pod>("web-1") is { } p && p.Spec.Containers[0].Image == "nginx:1.28" && c.AllReady("web", 3), "web-1 replaced");
        Assert.Equal("nginx:1.27", Image(c, "web-0"));
        Assert.Equal("nginx:1.27", Image(c, "web-2"));
    }

    [Fact]
    public async Task MaxUnavailable_deletes_several_old_pods_at_once()
    {
        await using var c = await StartAsync();
        var manifest = TestSets.Web(replicas: 4, claims: false, parallel: true);
        manifest.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = 0, MaxUnavailable = 2 },
        };
        await c.CreateAsync(manifest);
        await c.WaitReadyAsync("web", 4);
        c.Api.ClearActions();
        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28");
        var revision = await WaitForNewRevision(c);
        await c.WaitAsync(() => Rolled(c, 4, revision), "rolled");

        // The first two deletions happen before any replacement is created: two pods were down at once.
        var podActions = c.Api.Actions.Where(a => a.Resource == "pods" && a.Verb is "delete" or "create").Select(a => a.Verb + " " + a.Name).Distinct().ToList();
        Assert.Equal(["delete web-3", "delete web-2"], podActions.Take(2));
    }

    private static async Task<string> WaitForNewRevision(TestCluster c)
    {
        await c.WaitAsync(() => c.Set().Status.UpdateRevision != c.Set().Status.CurrentRevision, "new revision");
        return c.Set().Status.UpdateRevision;
    }
}
