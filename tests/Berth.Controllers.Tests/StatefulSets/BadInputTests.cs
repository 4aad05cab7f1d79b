using Berth.Controllers.Client;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

public sealed class BadInputTests
{
    [Fact]
    public async Task A_refused_pod_create_gives_FailedCreate_events_and_retries_with_backoff_not_a_hot_loop()
    {
        var refuse = true;
        await using var c = await TestCluster.StartAsync(setup: api => api.Reactor = (action, _) =>
            refuse && action is { Verb: "create", Resource: "pods", Subresource: null }
                ? new ApiException(403, "Forbidden", "pods \"web-0\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10")
                : null);
        c.Step = TimeSpan.FromSeconds(1);
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.SettleAsync(TimeSpan.FromSeconds(60));

        // Backoff 5 ms doubling: about 14 attempts fit in a minute; a hot loop would make thousands.
        var attempts = c.Api.Actions.Count(a => a is { Verb: "create", Resource: "pods" });
        Assert.InRange(attempts, 2, 20);
        await c.Manager.FlushEventsAsync();
        var failed = Assert.Single(c.Events(), e => e.Reason == "FailedCreate");
        Assert.Equal("Warning", failed.Type);
        Assert.Equal("create Pod web-0 in StatefulSet web failed error: pods \"web-0\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10", failed.Message);
        Assert.True(failed.Count >= 2, "repeats are aggregated into one Event with a count");

        refuse = false;
        await c.WaitReadyAsync("web", 1);
    }

    [Fact]
    public async Task Write_conflicts_on_status_are_retried()
    {
        var conflicts = 3;
        await using var c = await TestCluster.StartAsync(setup: api => api.Reactor = (action, _) =>
            action is { Verb: "update", Resource: "statefulsets", Subresource: "status" } && Interlocked.Decrement(ref conflicts) >= 0
                ? ApiException.Conflict("statefulsets.apps", action.Name, "the object has been modified; please apply your changes to the latest version and try again")
                : null);
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);
    }

    [Fact]
    public async Task A_deleted_set_stops_its_work_cleanly()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);
        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", null, TestContext.Current.CancellationToken);
        // The garbage collector deletes the set's revisions as well as its pods; on a loaded machine the revisions can
        // go after the last pod, and that deletion is collection, not work the deleted set still does.
        await c.WaitAsync(() => c.Pods("web").Count == 0 && c.Revisions().Count == 0, "pods and revisions collected");
        c.Api.ClearActions();
        await c.SettleAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(c.Api.Actions, a => a.Resource is "pods" or "statefulsets" or "controllerrevisions" && a.Verb != "get");
    }
}
