using Berth.Controllers.Runtime;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Controllers.Tests.Runtime;

public sealed class ExpectationsAndInformerTests
{
    [Fact]
    public void Expectations_are_satisfied_once_every_expected_object_is_observed_or_they_expire()
    {
        var time = new FakeTimeProvider();
        var e = new ControllerExpectations(time);
        Assert.True(e.Satisfied("ns/web"));
        e.ExpectCreations("ns/web", ["web-0", "web-1"]);
        e.ExpectDeletions("ns/web", ["web-5"]);
        Assert.False(e.Satisfied("ns/web"));
        e.CreationObserved("ns/web", "web-0");
        e.CreationObserved("ns/web", "web-1");
        Assert.False(e.Satisfied("ns/web"));
        e.DeletionObserved("ns/web", "web-5");
        Assert.True(e.Satisfied("ns/web"));

        e.ExpectCreations("ns/web", ["web-2"]);
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.True(e.Satisfied("ns/web"));
    }

    [Fact]
    public async Task An_informer_relists_after_410_and_reports_deletions_it_missed()
    {
        var time = new FakeTimeProvider();
        var api = new FakeApiClient(time);
        await api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        await api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        var informer = new Informer<V1ConfigMap>(api, time);
        var deleted = new List<string>();
        informer.AddHandler(new InformerHandler<V1ConfigMap>(null, null, o => { lock (deleted) { deleted.Add(o.Metadata.Name); } }));
        using var cts = new CancellationTokenSource();
        var run = informer.RunAsync(cts.Token);
        await informer.Synced;
        Assert.Equal(2, informer.List().Count);

        // Close the watch, change things and compact: the resumed watch gets 410 and the informer re-lists.
        api.CloseWatches();
        await api.DeleteAsync<V1ConfigMap>("default", "a", null, TestContext.Current.CancellationToken);
        await api.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "default" } }, TestContext.Current.CancellationToken);
        api.Compact();
        api.CloseWatches();
        for (var i = 0; i < 2000 && (informer.Get("default", "c") is null || informer.Get("default", "a") is not null); i++)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
            time.Advance(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(["b", "c"], informer.List().Select(o => o.Metadata.Name).Order());
        Assert.Contains("a", deleted);
        await cts.CancelAsync();
        await run;
    }
}
