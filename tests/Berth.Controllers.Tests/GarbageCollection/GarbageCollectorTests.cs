using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.GarbageCollection;

/// <summary>Runs on the fake API; GarbageCollectorOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class GarbageCollectorTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    [Fact]
    public async Task Background_deletion_removes_pods_and_revisions_and_keeps_claims()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2));
        await c.WaitReadyAsync("web", 2);
        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Background" }, TestContext.Current.CancellationToken);
        Assert.Null(c.Get<V1StatefulSet>("web"));
        await c.WaitAsync(() => c.Pods("web").Count == 0 && c.Revisions().Count == 0, "dependents collected");
        Assert.Equal(2, c.Claims().Count);
    }

    [Fact]
    public async Task Foreground_deletion_keeps_the_owner_until_its_dependents_are_gone()
    {
        await using var c = await StartAsync();
        c.Step = TimeSpan.FromSeconds(1);
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);

        // Pods that take a while to terminate keep the set (with foregroundDeletion) visible meanwhile.
        if (c.Api is FakeApiClient fake)
        {
            fake.Reactor = null;
        }

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Foreground" }, TestContext.Current.CancellationToken);
        var deleting = c.Get<V1StatefulSet>("web")!;
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", deleting.Metadata.Finalizers);
        await c.WaitAsync(() => c.Get<V1StatefulSet>("web") is null, "owner deleted after dependents");
        Assert.Empty(c.Pods("web"));
    }

    [Fact]
    public async Task Orphan_deletion_keeps_pods_and_a_new_matching_set_adopts_them()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2));
        await c.WaitReadyAsync("web", 2);
        var uids = c.Pods("web").Select(p => p.Metadata.Uid).ToList();

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", new V1DeleteOptions { PropagationPolicy = "Orphan" }, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Get<V1StatefulSet>("web") is null, "set gone after orphaning");
        Assert.All(c.Pods("web"), p => Assert.True(p.Metadata.OwnerReferences is null or { Count: 0 }));
        Assert.Equal(uids, c.Pods("web").Select(p => p.Metadata.Uid));

        c.Api.ClearActions();
        var replacement = await c.CreateAsync(TestSets.Web(replicas: 2));
        await c.WaitAsync(() => c.Pods("web").All(p => p.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == replacement.Metadata.Uid)
            && c.AllReady("web", 2), "adopted by the new set");
        Assert.True(uids.SequenceEqual(c.Pods("web").Select(p => p.Metadata.Uid)), string.Join("\n", c.Api.Actions));
        Assert.Equal(uids, c.Pods("web").Select(p => p.Metadata.Uid));
    }

    [Fact]
    public async Task A_dependent_with_one_live_owner_only_loses_the_dangling_reference()
    {
        await using var c = await StartAsync();
        var a = await c.Api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        var b = await c.Api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        await c.Api.CreateAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = "dep",
                NamespaceProperty = "default",
                OwnerReferences =
                [
                    new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "a", Uid = a.Metadata.Uid },
                    new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "b", Uid = b.Metadata.Uid },
                ],
            },
        }, TestContext.Current.CancellationToken);
        await c.Api.DeleteAsync<V1ConfigMap>("default", "a", null, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Get<V1Secret>("dep")?.Metadata.OwnerReferences?.Count == 1, "dangling ref dropped");
        Assert.Equal("b", c.Get<V1Secret>("dep")!.Metadata.OwnerReferences.Single().Name);

        await c.Api.DeleteAsync<V1ConfigMap>("default", "b", null, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Get<V1Secret>("dep") is null, "dependent collected with its last owner");
    }
}
