using System.Text;
using Microsoft.Extensions.Time.Testing;
using static Berth.Storage.Tests.StoreAssert;

namespace Berth.Storage.Tests;

/// <summary>
/// The one contract every backend meets (memory, SQLite; etcd later). Each derived class supplies a fresh,
/// empty store per call.
/// </summary>
public abstract partial class StoreContractTests
{
    protected const string Pods = "/registry/configmaps/default/";

    protected abstract ValueTask<IStore> OpenAsync(StoreTestOptions options);

    protected ValueTask<IStore> OpenAsync() => OpenAsync(new StoreTestOptions());

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_then_get_returns_the_value_stamped_with_its_revision()
    {
        await using var store = await OpenAsync();
        Assert.Equal(0, store.CurrentRevision);
        var created = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        Assert.Equal(1, created.ModRevision);
        Assert.Equal(1, created.CreateRevision);
        Assert.Equal("1", Obj.ResourceVersion(created));
        var got = await store.GetAsync(Pods + "a", Ct);
        Assert.NotNull(got);
        Assert.Equal(created.Value.ToArray(), got.Value.Value.ToArray());
        Assert.Equal(1, store.CurrentRevision);
        Assert.Null(await store.GetAsync(Pods + "missing", Ct));
    }

    [Fact]
    public async Task Create_of_an_existing_key_is_KeyExists_and_consumes_no_revision()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        await FailsAsync(StoreErrorCode.KeyExists, () => store.CreateAsync(Pods + "a", Obj.ConfigMap("a", "2"), Ct));
        Assert.Equal(1, store.CurrentRevision);
        Assert.Equal("1", Obj.Data((await store.GetAsync(Pods + "a", Ct))!.Value));
    }

    [Fact]
    public async Task Update_with_current_resourceVersion_succeeds_and_keeps_the_create_revision()
    {
        await using var store = await OpenAsync();
        var a = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        await store.CreateAsync(Pods + "b", Obj.ConfigMap("b"), Ct);
        var updated = await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2"), new Preconditions(a.ModRevision), Ct);
        Assert.Equal(3, updated.ModRevision);
        Assert.Equal(1, updated.CreateRevision);
        Assert.Equal("3", Obj.ResourceVersion(updated));
        Assert.Equal("2", Obj.Data((await store.GetAsync(Pods + "a", Ct))!.Value));
        var unconditional = await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "3"), Preconditions.None, Ct);
        Assert.Equal(4, unconditional.ModRevision);
    }

    [Fact]
    public async Task Update_with_stale_resourceVersion_is_a_conflict()
    {
        await using var store = await OpenAsync();
        var a = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2"), new Preconditions(a.ModRevision), Ct);
        var e = await FailsAsync(StoreErrorCode.Conflict, () => store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "3"), new Preconditions(a.ModRevision), Ct));
        Assert.Contains("the object has been modified", e.Message, StringComparison.Ordinal);
        Assert.Equal("2", Obj.Data((await store.GetAsync(Pods + "a", Ct))!.Value));
        Assert.Equal(2, store.CurrentRevision);
    }

    [Fact]
    public async Task Update_with_a_different_uid_is_a_conflict()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a", uid: "u1"), Ct);
        await FailsAsync(StoreErrorCode.Conflict, () => store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2"), new Preconditions(Uid: "u2"), Ct));
        await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2", uid: "u1"), new Preconditions(Uid: "u1"), Ct);
    }

    [Fact]
    public async Task Update_of_a_missing_key_is_NotFound()
    {
        await using var store = await OpenAsync();
        await FailsAsync(StoreErrorCode.NotFound, () => store.UpdateAsync(Pods + "a", Obj.ConfigMap("a"), Preconditions.None, Ct));
        Assert.Equal(0, store.CurrentRevision);
    }

    [Fact]
    public async Task Delete_returns_the_last_value_stamped_with_the_delete_revision()
    {
        await using var store = await OpenAsync();
        var a = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a", "x"), Ct);
        var deleted = await store.DeleteAsync(Pods + "a", Preconditions.None, Ct);
        Assert.Equal(2, deleted.ModRevision);
        Assert.Equal(a.CreateRevision, deleted.CreateRevision);
        Assert.Equal("2", Obj.ResourceVersion(deleted));
        Assert.Equal("x", Obj.Data(deleted));
        Assert.Null(await store.GetAsync(Pods + "a", Ct));
        await FailsAsync(StoreErrorCode.NotFound, () => store.DeleteAsync(Pods + "a", Preconditions.None, Ct));
        var again = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        Assert.Equal(3, again.CreateRevision);
    }

    [Fact]
    public async Task Delete_with_a_failed_precondition_is_a_conflict_and_deletes_nothing()
    {
        await using var store = await OpenAsync();
        var a = await store.CreateAsync(Pods + "a", Obj.ConfigMap("a", uid: "u1"), Ct);
        var e = await FailsAsync(StoreErrorCode.Conflict, () => store.DeleteAsync(Pods + "a", new Preconditions(Uid: "other"), Ct));
        Assert.Equal("Precondition failed: UID in precondition: other, UID in object meta: u1", e.Message);
        await FailsAsync(StoreErrorCode.Conflict, () => store.DeleteAsync(Pods + "a", new Preconditions(ModRevision: a.ModRevision + 5), Ct));
        Assert.NotNull(await store.GetAsync(Pods + "a", Ct));
        await store.DeleteAsync(Pods + "a", new Preconditions(a.ModRevision, "u1"), Ct);
        Assert.Null(await store.GetAsync(Pods + "a", Ct));
    }

    [Fact]
    public async Task Stamping_keeps_every_other_byte_of_the_accepted_value()
    {
        await using var store = await OpenAsync();
        var body = """{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"999"},"data":{"k":"v\u00e9"}}"""u8.ToArray();
        var kv = await store.CreateAsync(Pods + "a", body, Ct);
        Assert.Equal("""{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"1"},"data":{"k":"v\u00e9"}}""", Encoding.UTF8.GetString(kv.Value.Span));
        var bare = await store.CreateAsync(Pods + "b", """{"kind":"X"}"""u8.ToArray(), Ct);
        Assert.Equal("""{"metadata":{"resourceVersion":"2"},"kind":"X"}""", Encoding.UTF8.GetString(bare.Value.Span));
    }

    [Theory]
    [InlineData("")]
    [InlineData("registry/x")]
    [InlineData("/")]
    [InlineData("/registry//x")]
    [InlineData("/registry/x/")]
    [InlineData("/registry/../secrets/x")]
    [InlineData("/registry/./x")]
    [InlineData("/registry/x\n")]
    [InlineData("/registry/\u0000x")]
    public async Task Bad_keys_are_rejected_and_nothing_is_written(string key)
    {
        await using var store = await OpenAsync();
        await FailsAsync(StoreErrorCode.InvalidKey, () => store.CreateAsync(key, Obj.ConfigMap("a"), Ct));
        await FailsAsync(StoreErrorCode.InvalidKey, () => store.GetAsync(key, Ct));
        Assert.Equal(0, store.CurrentRevision);
    }

    [Fact]
    public async Task An_overlong_key_is_rejected()
    {
        await using var store = await OpenAsync();
        await FailsAsync(StoreErrorCode.InvalidKey, () => store.CreateAsync("/registry/" + new string('x', 2000), Obj.ConfigMap("a"), Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{")]
    [InlineData("{\"a\":1} {\"b\":2}")]
    [InlineData("{\"a\":1}x")]
    [InlineData("{\"metadata\":[]}")]
    [InlineData("{\"metadata\":{},\"metadata\":{}}")]
    [InlineData("{\"a\":tru}")]
    public async Task Bad_values_are_rejected_and_nothing_is_written(string value)
    {
        await using var store = await OpenAsync();
        await FailsAsync(StoreErrorCode.InvalidValue, () => store.CreateAsync(Pods + "a", Encoding.UTF8.GetBytes(value), Ct));
        await store.CreateAsync(Pods + "b", Obj.ConfigMap("b"), Ct);
        await FailsAsync(StoreErrorCode.InvalidValue, () => store.UpdateAsync(Pods + "b", Encoding.UTF8.GetBytes(value), Preconditions.None, Ct));
        Assert.Equal(1, store.CurrentRevision);
        Assert.Equal("1", Obj.Data((await store.GetAsync(Pods + "b", Ct))!.Value));
    }

    [Fact]
    public async Task An_oversized_value_is_rejected()
    {
        await using var store = await OpenAsync();
        var huge = Encoding.UTF8.GetBytes("{\"data\":\"" + new string('x', 4 * 1024 * 1024) + "\"}");
        await FailsAsync(StoreErrorCode.InvalidValue, () => store.CreateAsync(Pods + "a", huge, Ct));
    }

    [Fact]
    public async Task List_returns_the_prefix_in_key_order_at_the_current_revision()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync("/registry/configmaps/other/z", Obj.ConfigMap("z"), Ct);
        foreach (var n in new[] { "c", "a", "b" })
        {
            await store.CreateAsync(Pods + n, Obj.ConfigMap(n), Ct);
        }

        await store.CreateAsync("/registry/configmaps/defaulted/q", Obj.ConfigMap("q"), Ct);
        await store.CreateAsync("/registry/configmaps/default", Obj.ConfigMap("edge"), Ct);
        var list = await store.ListAsync(Pods, ListOptions.Default, Ct);
        Assert.Equal([Pods + "a", Pods + "b", Pods + "c"], list.Items.Select(i => i.Key));
        Assert.Equal(store.CurrentRevision, list.Revision);
        Assert.Null(list.Continue);
        var all = await store.ListAsync("/registry/configmaps/", ListOptions.Default, Ct);
        Assert.Equal(6, all.Items.Count);
    }

    [Fact]
    public async Task List_pages_stay_pinned_to_the_first_page_revision()
    {
        // A tiny cache history sends the older reads to the backend's own history where it has one.
        await using var store = await OpenAsync(new StoreTestOptions { CacheHistory = 2 });
        for (var i = 0; i < 10; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}"), Ct);
        }

        var first = await store.ListAsync(Pods, new ListOptions { Limit = 4 }, Ct);
        Assert.Equal(["k0", "k1", "k2", "k3"], first.Items.Select(i => i.Key[Pods.Length..]));
        Assert.Equal(6, first.RemainingItemCount);
        Assert.NotNull(first.Continue);

        // Changes after the first page must not show on later pages.
        await store.DeleteAsync(Pods + "k5", Preconditions.None, Ct);
        await store.UpdateAsync(Pods + "k6", Obj.ConfigMap("k6", "changed"), Preconditions.None, Ct);
        await store.CreateAsync(Pods + "k55", Obj.ConfigMap("k55"), Ct);
        await store.DeleteAsync(Pods + "k0", Preconditions.None, Ct);

        var second = await store.ListAsync(Pods, new ListOptions { Limit = 4, Continue = first.Continue }, Ct);
        Assert.Equal(first.Revision, second.Revision);
        Assert.Equal(["k4", "k5", "k6", "k7"], second.Items.Select(i => i.Key[Pods.Length..]));
        Assert.Equal("1", Obj.Data(second.Items[2]));
        var third = await store.ListAsync(Pods, new ListOptions { Limit = 4, Continue = second.Continue }, Ct);
        Assert.Equal(["k8", "k9"], third.Items.Select(i => i.Key[Pods.Length..]));
        Assert.Null(third.Continue);
        Assert.Null(third.RemainingItemCount);
    }

    [Fact]
    public async Task List_limit_counts_items_after_the_filter()
    {
        // A tiny cache history sends the older reads to the backend's own history where it has one.
        await using var store = await OpenAsync(new StoreTestOptions { CacheHistory = 2 });
        for (var i = 0; i < 10; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}", (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture)), Ct);
        }

        Func<KeyValue, bool> odd = kv => Obj.Data(kv) == "1";
        var page = await store.ListAsync(Pods, new ListOptions { Limit = 3, Filter = odd }, Ct);
        Assert.Equal(["k1", "k3", "k5"], page.Items.Select(i => i.Key[Pods.Length..]));
        Assert.Null(page.RemainingItemCount);
        var rest = await store.ListAsync(Pods, new ListOptions { Limit = 3, Filter = odd, Continue = page.Continue }, Ct);
        Assert.Equal(["k7", "k9"], rest.Items.Select(i => i.Key[Pods.Length..]));
        Assert.Null(rest.Continue);
    }

    [Fact]
    public async Task List_at_an_exact_revision_shows_that_revision()
    {
        // A tiny cache history sends the older reads to the backend's own history where it has one.
        await using var store = await OpenAsync(new StoreTestOptions { CacheHistory = 2 });
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a", "1"), Ct);
        await store.CreateAsync(Pods + "b", Obj.ConfigMap("b", "1"), Ct);
        var at2 = store.CurrentRevision;
        await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2"), Preconditions.None, Ct);
        await store.DeleteAsync(Pods + "b", Preconditions.None, Ct);
        await store.CreateAsync(Pods + "c", Obj.ConfigMap("c"), Ct);

        var exact = await store.ListAsync(Pods, new ListOptions { ResourceVersion = "2", Match = ResourceVersionMatch.Exact }, Ct);
        Assert.Equal(at2, exact.Revision);
        Assert.Equal([(Pods + "a", "1"), (Pods + "b", "1")], exact.Items.Select(i => (i.Key, Obj.Data(i))));

        // Legacy: a resourceVersion with a limit and no match means Exact (upstream).
        var legacy = await store.ListAsync(Pods, new ListOptions { ResourceVersion = "2", Limit = 1 }, Ct);
        Assert.Equal(2, legacy.Revision);
        Assert.Equal([Pods + "a"], legacy.Items.Select(i => i.Key));
        var legacyRest = await store.ListAsync(Pods, new ListOptions { Limit = 1, Continue = legacy.Continue }, Ct);
        Assert.Equal([Pods + "b"], legacyRest.Items.Select(i => i.Key));

        // NotOlderThan and an unset match without a limit serve the newest data.
        var newer = await store.ListAsync(Pods, new ListOptions { ResourceVersion = "2", Match = ResourceVersionMatch.NotOlderThan }, Ct);
        Assert.Equal(store.CurrentRevision, newer.Revision);
        Assert.Equal([(Pods + "a", "2"), (Pods + "c", "1")], newer.Items.Select(i => (i.Key, Obj.Data(i))));
        var unset = await store.ListAsync(Pods, new ListOptions { ResourceVersion = "2" }, Ct);
        Assert.Equal(store.CurrentRevision, unset.Revision);
    }

    [Fact]
    public async Task List_with_resourceVersion_0_is_served_whole_from_the_cache()
    {
        await using var store = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}"), Ct);
        }

        var any = await store.ListAsync(Pods, new ListOptions { ResourceVersion = "0", Limit = 2 }, Ct);
        Assert.Equal(5, any.Items.Count);
        Assert.Null(any.Continue);
        Assert.Equal(store.CurrentRevision, any.Revision);
    }

    [Fact]
    public async Task List_at_a_future_exact_revision_is_TooLargeResourceVersion()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        var e = await FailsAsync(StoreErrorCode.TooLargeResourceVersion,
            () => store.ListAsync(Pods, new ListOptions { ResourceVersion = "5", Match = ResourceVersionMatch.Exact }, Ct));
        Assert.Equal("Too large resource version: 5, current: 1", e.Message);
    }

    [Fact]
    public async Task List_not_older_than_a_future_revision_waits_then_is_TooLargeResourceVersion()
    {
        var time = new FakeTimeProvider();
        await using var store = await OpenAsync(new StoreTestOptions { TimeProvider = time });
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        var pending = store.ListAsync(Pods, new ListOptions { ResourceVersion = "3", Match = ResourceVersionMatch.NotOlderThan }, Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3));
        await FailsAsync(StoreErrorCode.TooLargeResourceVersion, () => new ValueTask<ListResult>(pending));

        // The same wait succeeds when the revision arrives in time.
        var waiting = store.ListAsync(Pods, new ListOptions { ResourceVersion = "3", Match = ResourceVersionMatch.NotOlderThan }, Ct).AsTask();
        await store.CreateAsync(Pods + "b", Obj.ConfigMap("b"), Ct);
        await store.CreateAsync(Pods + "c", Obj.ConfigMap("c"), Ct);
        var list = await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.True(list.Revision >= 3);
        Assert.Equal(3, list.Items.Count);
    }

    [Fact]
    public async Task List_or_continue_at_a_compacted_revision_is_Expired()
    {
        await using var store = await OpenAsync();
        for (var i = 0; i < 6; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}"), Ct);
        }

        var first = await store.ListAsync(Pods, new ListOptions { Limit = 2 }, Ct);
        await store.UpdateAsync(Pods + "k4", Obj.ConfigMap("k4", "2"), Preconditions.None, Ct);
        await store.CompactAsync(store.CurrentRevision, Ct);
        Assert.Equal(store.CurrentRevision, store.CompactedRevision);
        await FailsAsync(StoreErrorCode.Expired, () => store.ListAsync(Pods, new ListOptions { ResourceVersion = "3", Match = ResourceVersionMatch.Exact }, Ct));
        var e = await FailsAsync(StoreErrorCode.Expired, () => store.ListAsync(Pods, new ListOptions { Limit = 2, Continue = first.Continue }, Ct));
        Assert.StartsWith("The provided continue parameter is too old", e.Message, StringComparison.Ordinal);

        // The compacted revision itself stays readable, as etcd's does.
        var at = await store.ListAsync(Pods, new ListOptions { ResourceVersion = store.CompactedRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), Match = ResourceVersionMatch.Exact }, Ct);
        Assert.Equal(6, at.Items.Count);
    }

    [Theory]
    [InlineData("not base64 !!")]
    [InlineData("e30")] // {}
    [InlineData("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIuLi8uLi9zZWNyZXRzL3gifQ")] // start "../../secrets/x"
    [InlineData("eyJ2IjoibWV0YS5rOHMuaW8vdjIiLCJydiI6MSwic3RhcnQiOiJhIn0")] // v2
    [InlineData("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhIn0")] // rv 0
    public async Task A_bad_continue_token_is_InvalidContinue(string token)
    {
        await using var store = await OpenAsync();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        var e = await FailsAsync(StoreErrorCode.InvalidContinue, () => store.ListAsync(Pods, new ListOptions { Limit = 1, Continue = token }, Ct));
        Assert.StartsWith("continue key is not valid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_from_every_revision_delivers_exactly_the_later_changes()
    {
        await using var store = await OpenAsync(new StoreTestOptions { CacheHistory = 8 });
        var log = new List<(WatchEventType Type, string Key, string Data, long Revision)>();
        var rng = new Random(674386);
        for (var i = 0; i < 40; i++)
        {
            var key = Pods + $"k{rng.Next(6)}";
            var existing = await store.GetAsync(key, Ct);
            if (existing is null)
            {
                var kv = await store.CreateAsync(key, Obj.ConfigMap("x", $"{i}"), Ct);
                log.Add((WatchEventType.Added, key, $"{i}", kv.ModRevision));
            }
            else if (rng.Next(3) == 0)
            {
                var kv = await store.DeleteAsync(key, Preconditions.None, Ct);
                log.Add((WatchEventType.Deleted, key, Obj.Data(existing.Value), kv.ModRevision));
            }
            else
            {
                var kv = await store.UpdateAsync(key, Obj.ConfigMap("x", $"{i}"), Preconditions.None, Ct);
                log.Add((WatchEventType.Modified, key, $"{i}", kv.ModRevision));
            }
        }

        var current = store.CurrentRevision;
        for (var from = 1L; from <= current; from++)
        {
            var events = await CollectAsync(store, Pods, from, current);
            Assert.Equal(log.Where(l => l.Revision > from).ToList(), events.Select(e => (e.Type, e.Current.Key, Obj.Data(e.Current), e.Revision)).ToList());
        }
    }

    [Fact]
    public async Task Watch_delivers_live_changes_in_order_with_previous_values()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync("/registry/other/x", Obj.ConfigMap("x"), Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(5000);
        var watch = store.WatchAsync(Pods, 0, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watch.MoveNextAsync().AsTask();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a", "1"), Ct);
        await store.CreateAsync("/registry/other/y", Obj.ConfigMap("y"), Ct);
        await store.UpdateAsync(Pods + "a", Obj.ConfigMap("a", "2"), Preconditions.None, Ct);
        await store.DeleteAsync(Pods + "a", Preconditions.None, Ct);

        Assert.True(await next);
        var added = watch.Current;
        Assert.True(await watch.MoveNextAsync());
        var modified = watch.Current;
        Assert.True(await watch.MoveNextAsync());
        var deleted = watch.Current;
        await watch.DisposeAsync();

        Assert.Equal((WatchEventType.Added, 2L, (KeyValue?)null), (added.Type, added.Revision, added.Previous));
        Assert.Equal((WatchEventType.Modified, 4L, "2", "1"), (modified.Type, modified.Revision, Obj.Data(modified.Current), Obj.Data(modified.Previous!.Value)));
        Assert.Equal((WatchEventType.Deleted, 5L, "2", 4L), (deleted.Type, deleted.Revision, Obj.Data(deleted.Current), deleted.Previous!.Value.ModRevision));
        Assert.Equal("5", Obj.ResourceVersion(deleted.Current));
    }

    [Fact]
    public async Task Watch_from_a_compacted_revision_is_Expired()
    {
        await using var store = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}"), Ct);
        }

        await store.CompactAsync(3, Ct);
        var e = await FailsAsync(StoreErrorCode.Expired, async () => await CollectAsync(store, Pods, 2, 5));
        Assert.Equal("too old resource version: 2 (3)", e.Message);
        var fromCompacted = await CollectAsync(store, Pods, 3, 5);
        Assert.Equal([4L, 5L], fromCompacted.Select(x => x.Revision));
    }

    [Fact]
    public async Task A_slow_watcher_is_closed_with_WatcherTooSlow_and_writers_do_not_wait()
    {
        await using var store = await OpenAsync(new StoreTestOptions { WatcherBufferSize = 4 });
        await using var slow = store.WatchAsync(Pods, 0, Ct).GetAsyncEnumerator(Ct);
        var first = slow.MoveNextAsync().AsTask(); // registers, then consumes one event
        await store.CreateAsync(Pods + "k0", Obj.ConfigMap("k0"), Ct);
        Assert.True(await first);
        for (var i = 1; i < 50; i++)
        {
            await store.CreateAsync(Pods + $"k{i}", Obj.ConfigMap($"k{i}"), Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        }

        var e = await Assert.ThrowsAsync<StoreException>(async () =>
        {
            while (await slow.MoveNextAsync())
            {
            }
        });
        Assert.Equal(StoreErrorCode.WatcherTooSlow, e.Code);
    }

    [Fact]
    public async Task Watch_from_a_future_revision_waits_then_is_TooLargeResourceVersion()
    {
        var time = new FakeTimeProvider();
        await using var store = await OpenAsync(new StoreTestOptions { TimeProvider = time });
        var pending = CollectAsync(store, Pods, 10, 11);
        await Task.Delay(50, Ct);
        time.Advance(TimeSpan.FromSeconds(3));
        await FailsAsync(StoreErrorCode.TooLargeResourceVersion, async () => await pending);
    }

    [Fact]
    public async Task Disposing_the_store_ends_watches_with_Closed()
    {
        var store = await OpenAsync();
        await store.CreateAsync(Pods + "a", Obj.ConfigMap("a"), Ct);
        var watch = CollectAsync(store, Pods, 0, 100);
        await Task.Delay(50, Ct);
        await store.DisposeAsync();
        await FailsAsync(StoreErrorCode.Closed, async () => await watch);
        await FailsAsync(StoreErrorCode.Closed, () => store.CreateAsync(Pods + "b", Obj.ConfigMap("b"), Ct));
    }

    [Fact]
    public async Task Concurrent_writers_get_distinct_revisions_and_watchers_see_them_all_in_order()
    {
        await using var store = await OpenAsync();
        var watch = CollectAsync(store, Pods, 0, 400, timeoutMs: 20000);
        await Task.Delay(50, Ct);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var revisions = new List<long>();
            for (var i = 0; i < 50; i++)
            {
                revisions.Add((await store.CreateAsync(Pods + $"w{w}-{i}", Obj.ConfigMap($"w{w}-{i}"), Ct)).ModRevision);
            }

            return revisions;
        }, Ct)).ToArray();
        var all = (await Task.WhenAll(writers)).SelectMany(r => r).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), all);
        var events = await watch;
        Assert.Equal(all, events.Select(e => e.Revision));
    }
}
