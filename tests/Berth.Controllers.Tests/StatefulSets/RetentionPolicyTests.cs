using System.Globalization;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

/// <summary>Runs on the fake API; RetentionPolicyOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class RetentionPolicyTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    private static V1StatefulSet WithPolicy(int replicas, string whenDeleted, string whenScaled)
    {
        var set = TestSets.Web(replicas: replicas);
        set.Spec.PersistentVolumeClaimRetentionPolicy = new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = whenDeleted, WhenScaled = whenScaled };
        return set;
    }

    private static List<string> ClaimNames(TestCluster c) => [.. c.Claims().Where(x => x.Metadata.DeletionTimestamp is null).Select(x => x.Metadata.Name)];

    [Fact]
    public async Task Retain_keeps_claims_when_the_set_is_deleted()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2));
        await c.WaitReadyAsync("web", 2);
        Assert.All(c.Claims(), x => Assert.Null(x.Metadata.OwnerReferences));

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Pods("web").Count == 0 && c.Revisions().Count == 0, "pods and revisions collected");
        Assert.Equal(["www-web-0", "www-web-1"], ClaimNames(c));
        Assert.All(c.Claims(), x => Assert.Equal("Bound", x.Status.Phase));
    }

    [Fact]
    public async Task Should_delete_PVCs_with_a_WhenDeleted_policy()
    {
        await using var c = await StartAsync();
        var set = await c.CreateAsync(WithPolicy(2, "Delete", "Retain"));
        await c.WaitReadyAsync("web", 2);
        await c.WaitAsync(() => c.Claims().All(x => x.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == set.Metadata.Uid), "claims owned by the set");
        var dirs = c.Claims().Select(x => c.Get<V1PersistentVolume>(x.Spec.VolumeName, null)!.Spec.Local.Path).ToList();
        Assert.All(dirs, d => Assert.True(Directory.Exists(d)));

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Claims().Count == 0 && c.Pods("web").Count == 0, "claims collected with the set");

        // reclaimPolicy Delete of class standard: the volumes and their directories go too.
        await c.WaitAsync(() => c.Api.All<V1PersistentVolume>().Count == 0, "volumes deleted");
        Assert.All(dirs, d => Assert.False(Directory.Exists(d)));
    }

    [Fact]
    public async Task Should_delete_PVCs_with_a_WhenScaled_policy()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(WithPolicy(3, "Retain", "Delete"));
        await c.WaitReadyAsync("web", 3);
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 1);
        await c.WaitAsync(() => c.AllReady("web", 1) && ClaimNames(c).SequenceEqual(["www-web-0"]), "scaled-down claims deleted");

        // Scaling up again creates fresh claims for the new pods.
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 2);
        await c.WaitAsync(() => c.AllReady("web", 2) && ClaimNames(c).SequenceEqual(["www-web-0", "www-web-1"]), "claims recreated");
    }

    [Fact]
    public async Task Should_not_delete_a_PVC_with_a_WhenScaled_policy_if_another_controller_owns_it()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(WithPolicy(2, "Retain", "Delete"));
        await c.WaitReadyAsync("web", 2);
        var cm = await c.Api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        var claim = c.Get<V1PersistentVolumeClaim>("www-web-1")!;
        claim.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = cm.Metadata.Uid, Controller = true }];
        await c.Api.UpdateAsync(claim, TestContext.Current.CancellationToken);

        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 0);
        await c.WaitAsync(() => c.Pods("web").Count == 0 && !ClaimNames(c).Contains("www-web-0"), "scaled to 0");
        await c.SettleAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(["www-web-1"], ClaimNames(c));
    }

    [Fact]
    public async Task A_conflicting_controller_removes_the_set_ref_with_a_warning_and_keeps_the_claim()
    {
        await using var c = await StartAsync();
        var set = await c.CreateAsync(WithPolicy(2, "Delete", "Retain"));
        await c.WaitReadyAsync("web", 2);
        await c.WaitAsync(() => c.Claims().All(x => x.Metadata.OwnerReferences?.Count == 1), "claims owned by the set");
        var cm = await c.Api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        var claim = c.Get<V1PersistentVolumeClaim>("www-web-1")!;
        // At most one reference may be the controller (a real server refuses two): the set's is demoted.
        claim.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = cm.Metadata.Uid, Controller = true },
            .. claim.Metadata.OwnerReferences.Select(r => { r.Controller = false; return r; })];
        await c.Api.UpdateAsync(claim, TestContext.Current.CancellationToken);

        // Claim changes do not trigger syncs (upstream has no PVC handler); a set change does. The sync must see the
        // claim change, which reaches the controller's informer on its own schedule: touch the set until one has.
        for (var touch = 0; touch < 20 && c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.OwnerReferences.Count != 1; touch++)
        {
            await c.UpdateSetAsync("web", s => s.Metadata.Labels = new Dictionary<string, string> { ["touched"] = touch.ToString(CultureInfo.InvariantCulture) });
            for (var poll = 0; poll < 20 && c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.OwnerReferences.Count != 1; poll++)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        await c.WaitAsync(() => c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.OwnerReferences.Count == 1, "set ref removed");
        Assert.Equal("ConfigMap", c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.OwnerReferences[0].Kind);
        await c.Manager.FlushEventsAsync();
        Assert.Contains(c.Events(), e => e.Reason == "ConflictingController" && e.Type == "Warning" && e.InvolvedObject.Uid == set.Metadata.Uid
            && e.Message == "PersistentVolumeClaim www-web-1 has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim");

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => !ClaimNames(c).Contains("www-web-0") && c.Pods("web").Count == 0, "claim 0 collected");
        await c.SettleAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(["www-web-1"], ClaimNames(c));
    }

    [Fact]
    public async Task Should_delete_PVCs_after_adopting_a_pod_WhenDeleted()
    {
        await using var c = await StartAsync();
        var set = await c.CreateAsync(WithPolicy(3, "Delete", "Retain"));
        await c.WaitReadyAsync("web", 3);
        await c.UpdatePodAsync("web-2", p => p.Metadata.OwnerReferences = null);
        await c.WaitAsync(() => c.Get<V1Pod>("web-2")?.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == set.Metadata.Uid, "re-adopted");
        await c.WaitAsync(() => c.Claims().Count == 3 && c.Claims().All(x => x.Metadata.OwnerReferences?.Any(r => r.Uid == set.Metadata.Uid) == true), "claims owned");

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Claims().Count == 0, "every claim collected");
    }

    [Fact]
    public async Task Non_controller_owners_are_kept_and_the_set_ref_appended()
    {
        await using var c = await StartAsync();
        var cm = await c.Api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "external", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);

        // A claim created before the set, with a non-controller external owner.
        foreach (var (name, owner) in new[]
        {
            ("www-web-0", new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "external", Uid = cm.Metadata.Uid }),
        })
        {
            var claim = TestSets.Web().Spec.VolumeClaimTemplates[0];
            claim.Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "web" }, OwnerReferences = [owner] };
            await c.Api.CreateAsync(claim, TestContext.Current.CancellationToken);
        }

        var set = await c.CreateAsync(WithPolicy(3, "Delete", "Retain"));
        await c.WaitReadyAsync("web", 3);
        await c.WaitAsync(() => c.Get<V1PersistentVolumeClaim>("www-web-0")!.Metadata.OwnerReferences.Count == 2, "set ref appended");
        var refs0 = c.Get<V1PersistentVolumeClaim>("www-web-0")!.Metadata.OwnerReferences;
        Assert.Equal(["ConfigMap", "StatefulSet"], refs0.Select(r => r.Kind));
        Assert.Equal(set.Metadata.Uid, refs0[1].Uid);
        Assert.Equal((true, true), (refs0[1].Controller, refs0[1].BlockOwnerDeletion));

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Pods("web").Count == 0 && !ClaimNames(c).Contains("www-web-2"), "owned claims collected");
        await c.SettleAsync(TimeSpan.FromSeconds(2));

        // Claim 0 still has a live owner (the ConfigMap): the collector only drops the set ref.
        Assert.Equal(["www-web-0"], ClaimNames(c));
        Assert.Equal("ConfigMap", Assert.Single(c.Get<V1PersistentVolumeClaim>("www-web-0")!.Metadata.OwnerReferences).Kind);
    }
}
