using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>
/// Bad input that only the real server's validation and admission produce: a StatefulSet name too long for the
/// revision label its pods carry, and a namespace deleted under a running StatefulSet.
/// </summary>
public sealed class BadInputOnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_name_too_long_for_the_revision_label_gives_FailedCreate_events_retried_with_backoff()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        c.Step = TimeSpan.FromSeconds(1);
        // Valid as a StatefulSet name (a DNS subdomain), but controller-revision-hash is "<name>-<hash>": over 63
        // characters, so pod validation refuses every pod (upstream kubernetes issue 64023 has the same outcome).
        var name = "w" + new string('x', 59);
        await c.CreateAsync(TestSets.Web(name, replicas: 1, claims: false));
        await c.SettleAsync(TimeSpan.FromSeconds(60));

        var attempts = c.Api.Actions.Count(a => a is { Verb: "create", Resource: "pods" });
        Assert.InRange(attempts, 2, 20);
        await c.Manager.FlushEventsAsync();
        var failed = Assert.Single(c.Events(), e => e.Reason == "FailedCreate");
        Assert.Equal("Warning", failed.Type);
        Assert.StartsWith($"create Pod {name}-0 in StatefulSet {name} failed error: Pod \"{name}-0\" is invalid: metadata.labels: Invalid value: ",
            failed.Message, StringComparison.Ordinal);
        Assert.Contains("must be no more than 63 characters", failed.Message, StringComparison.Ordinal);
        Assert.Empty(c.Pods());
    }

    [Fact]
    public async Task Deleting_the_namespace_of_a_running_StatefulSet_removes_everything_and_its_controllers_stop_cleanly()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        await c.Api.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "shop" } }, Ct);
        await c.CreateAsync(TestSets.Web(replicas: 3, parallel: true, ns: "shop"));
        await c.WaitAsync(() => c.Api.All<V1Pod>("shop").Count(p => p.Status?.Phase == "Running") == 3, "three running pods in shop");

        await c.Api.DeleteAsync<V1Namespace>(null, "shop", null, Ct);
        c.Api.ClearActions();
        await c.SettleAsync(TimeSpan.FromSeconds(30));
        // In-flight work may try a write or two into the vanished namespace (and be refused) ...
        var settling = c.Api.Actions.Count(a => a.Namespace == "shop" && a.Verb is not ("get" or "list" or "watch"));
        c.Api.ClearActions();
        await c.SettleAsync(TimeSpan.FromSeconds(60));

        Assert.Null(c.Api.Peek<V1Namespace>(null, "shop"));
        Assert.Empty(c.Api.All<V1Pod>("shop"));
        Assert.Empty(c.Api.All<V1PersistentVolumeClaim>("shop"));
        Assert.Empty(c.Api.All<V1StatefulSet>("shop"));
        Assert.InRange(settling, 0, 10);
        // ... and then nothing keeps working on it: no refused creates over and over, no writes at all.
        Assert.DoesNotContain(c.Api.Actions, a => a.Namespace == "shop" && a.Verb is not ("get" or "list" or "watch"));
        // The claims' volumes (reclaimPolicy Delete) went with them.
        await c.WaitAsync(() => c.Api.All<V1PersistentVolume>().Count == 0, "the claims' volumes deleted");
    }
}
