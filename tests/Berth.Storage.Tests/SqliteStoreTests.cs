using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using static Berth.Storage.Tests.StoreAssert;

namespace Berth.Storage.Tests;

/// <summary>What only the SQLite backend promises: persistence, durability, exclusive data dirs, refusing bad files, compaction.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private const string Prefix = "/registry/configmaps/default/";
    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DbPath => Path.Combine(_dir.Path, "berth.db");

    public void Dispose() => _dir.Dispose();

    private ValueTask<SqliteStore> OpenAsync(TimeProvider? time = null, SqliteDurability durability = SqliteDurability.Normal) =>
        SqliteStore.OpenAsync(new SqliteStoreOptions
        {
            DataDir = _dir.Path,
            Durability = durability,
            TimeProvider = time ?? TimeProvider.System,
            CompactionCheckInterval = time is null ? TimeSpan.Zero : TimeSpan.FromSeconds(30),
            CompactionBatchRevisions = 7,
        }, Ct);

    [Fact]
    public async Task Reopening_keeps_values_revisions_and_the_compaction_point()
    {
        await using (var store = await OpenAsync(durability: SqliteDurability.Full))
        {
            await store.CreateAsync(Prefix + "a", Obj.ConfigMap("a"), Ct);
            await store.CreateAsync(Prefix + "b", Obj.ConfigMap("b"), Ct);
            await store.UpdateAsync(Prefix + "a", Obj.ConfigMap("a", "2"), Preconditions.None, Ct);
            await store.DeleteAsync(Prefix + "b", Preconditions.None, Ct);
            await store.CompactAsync(2, Ct);
        }

        await using var reopened = await OpenAsync();
        Assert.Equal(4, reopened.CurrentRevision);
        Assert.Equal(2, reopened.CompactedRevision);
        var a = (await reopened.GetAsync(Prefix + "a", Ct))!.Value;
        Assert.Equal((1L, 3L, "2", "3"), (a.CreateRevision, a.ModRevision, Obj.Data(a), Obj.ResourceVersion(a)));
        Assert.Null(await reopened.GetAsync(Prefix + "b", Ct));

        // History after the compaction point survives the restart (read from the log, not the cache).
        var events = await CollectAsync(reopened, Prefix, 2, 4);
        Assert.Equal([(WatchEventType.Modified, 3L, "1"), (WatchEventType.Deleted, 4L, "1")], events.Select(e => (e.Type, e.Revision, Obj.Data(e.Previous!.Value))));
        await FailsAsync(StoreErrorCode.Expired, async () => await CollectAsync(reopened, Prefix, 1, 4));
        var next = await reopened.CreateAsync(Prefix + "c", Obj.ConfigMap("c"), Ct);
        Assert.Equal(5, next.ModRevision);
    }

    [Fact]
    public async Task A_second_opener_in_the_same_process_is_InUse()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync(Prefix + "a", Obj.ConfigMap("a"), Ct);
        var e = await FailsAsync(StoreErrorCode.InUse, () => OpenAsync());
        Assert.Equal($"data dir {_dir.Path} is already in use by process {Environment.ProcessId}", e.Message);
        Assert.NotNull(await store.GetAsync(Prefix + "a", Ct));
        await store.CreateAsync(Prefix + "b", Obj.ConfigMap("b"), Ct);
    }

    [Fact]
    public async Task A_second_process_opening_the_data_dir_is_InUse_and_corrupts_nothing()
    {
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync(Prefix + "a", Obj.ConfigMap("a"), Ct);
        }

        using (var holder = ChildProcess.Start(_dir.Path, "hold"))
        {
            Assert.Equal("ready", await holder.Process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));
            var e = await FailsAsync(StoreErrorCode.InUse, () => OpenAsync());
            Assert.Equal($"data dir {_dir.Path} is already in use by process {holder.Process.Id}", e.Message);
            await holder.KillAsync();
        }

        // The kernel drops the lock with the process: no stale lock after a crash.
        await using var reopened = await OpenAsync();
        Assert.Equal("1", Obj.Data((await reopened.GetAsync(Prefix + "a", Ct))!.Value));
    }

    [Theory]
    [InlineData(SqliteDurability.Normal)]
    [InlineData(SqliteDurability.Full)]
    public async Task Every_acknowledged_write_survives_kill_9_and_no_object_is_torn(SqliteDurability durability)
    {
        var acked = new List<string>();
        using (var writer = ChildProcess.Start(_dir.Path, "write", durability == SqliteDurability.Full ? "full" : "normal"))
        {
            var output = writer.Process.StandardOutput;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (acked.Count < 1500 && await output.ReadLineAsync(timeout.Token) is { } line)
            {
                acked.Add(line["ack ".Length..]);
            }

            await writer.KillAsync();
            Assert.Equal(137, writer.Process.ExitCode); // 128 + SIGKILL

            // Acks already in the pipe were acknowledged before the kill; a line cut off by the kill was not.
            var rest = await output.ReadToEndAsync(Ct);
            var complete = rest.LastIndexOf('\n');
            if (complete >= 0)
            {
                acked.AddRange(rest[..complete].Split('\n').Select(l => l["ack ".Length..]));
            }
        }

        Assert.True(acked.Count >= 1500, $"only {acked.Count} acknowledged writes before the deadline");
        await using var store = await OpenAsync();
        foreach (var key in acked)
        {
            var kv = await store.GetAsync(key, Ct);
            Assert.True(kv is not null, $"acknowledged write {key} is missing after kill -9");
        }

        var all = await store.ListAsync("/registry/configmaps/crash/", ListOptions.Default, Ct);
        Assert.True(all.Items.Count >= acked.Count);
        Assert.Equal(store.CurrentRevision, all.Items.Count);
        foreach (var kv in all.Items)
        {
            using var doc = JsonDocument.Parse(kv.Value);
            Assert.Equal(kv.Key, doc.RootElement.GetProperty("data").GetProperty("key").GetString());
            Assert.Equal(kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), Obj.ResourceVersion(kv));
        }
    }

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_Corrupt_naming_the_file_and_left_untouched()
    {
        var garbage = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("this is not a database at all. ", 400)));
        await File.WriteAllBytesAsync(DbPath, garbage, Ct);
        var e = await FailsAsync(StoreErrorCode.Corrupt, () => OpenAsync());
        Assert.Contains(DbPath, e.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(DbPath, Ct));
    }

    [Fact]
    public async Task A_foreign_SQLite_database_is_Corrupt_naming_the_file_and_left_untouched()
    {
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada');";
            command.ExecuteNonQuery();
        }

        var before = SHA256.HashData(await File.ReadAllBytesAsync(DbPath, Ct));
        var e = await FailsAsync(StoreErrorCode.Corrupt, () => OpenAsync());
        Assert.Equal($"{DbPath} is not a Berth database (SQLite application_id is 0, expected 1112691784); refusing to use it", e.Message);
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(DbPath, Ct)));
        Assert.False(File.Exists(DbPath + "-wal") && new FileInfo(DbPath + "-wal").Length > 0);
    }

    [Fact]
    public async Task A_damaged_database_is_Corrupt_naming_the_file()
    {
        await using (var store = await OpenAsync())
        {
            for (var i = 0; i < 300; i++)
            {
                await store.CreateAsync(Prefix + $"k{i:D4}", Obj.ConfigMap($"k{i}"), Ct);
            }
        }

        // Overwrite everything after the first page (the header stays valid, the b-trees do not).
        var bytes = await File.ReadAllBytesAsync(DbPath, Ct);
        new Random(674386).NextBytes(bytes.AsSpan(4096));
        await File.WriteAllBytesAsync(DbPath, bytes, Ct);
        var e = await FailsAsync(StoreErrorCode.Corrupt, () => OpenAsync());
        Assert.Contains(DbPath, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compaction_deletes_unreachable_history_in_batches_and_keeps_the_state_at_the_compaction_point()
    {
        await using var store = await OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await store.CreateAsync(Prefix + $"k{i}", Obj.ConfigMap($"k{i}"), Ct);
        }

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                await store.UpdateAsync(Prefix + $"k{i}", Obj.ConfigMap($"k{i}", $"{round}"), Preconditions.None, Ct);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await store.DeleteAsync(Prefix + $"k{i}", Preconditions.None, Ct);
        }

        Assert.Equal(85, LogRows());
        var point = store.CurrentRevision - 10; // 75: in the middle of the deletes' neighbourhood
        var before = await store.ListAsync(Prefix, new ListOptions { ResourceVersion = $"{point}", Match = ResourceVersionMatch.Exact }, Ct);
        var watchBefore = await CollectAsync(store, Prefix, point, store.CurrentRevision);
        await store.CompactAsync(point, Ct); // batches of 7 revisions

        // Kept: the state at the point (one row per key live at 75) plus the 10 later rows.
        Assert.Equal(20 + 10, LogRows());
        var after = await store.ListAsync(Prefix, new ListOptions { ResourceVersion = $"{point}", Match = ResourceVersionMatch.Exact }, Ct);
        Assert.Equal(before.Items.Select(i => (i.Key, i.ModRevision)), after.Items.Select(i => (i.Key, i.ModRevision)));
        var watchAfter = await CollectAsync(store, Prefix, point, store.CurrentRevision);
        Assert.Equal(
            watchBefore.Select(e => (e.Type, e.Revision, e.Previous?.ModRevision)),
            watchAfter.Select(e => (e.Type, e.Revision, e.Previous?.ModRevision)));
    }

    [Fact]
    public async Task Automatic_compaction_keeps_the_configured_history()
    {
        var time = new FakeTimeProvider();
        await using var store = await OpenAsync(time);
        await store.CreateAsync(Prefix + "a", Obj.ConfigMap("a"), Ct);
        for (var i = 0; i < 10; i++)
        {
            await store.UpdateAsync(Prefix + "a", Obj.ConfigMap("a", $"{i}"), Preconditions.None, Ct);
        }

        time.Advance(TimeSpan.FromSeconds(30)); // sample: revision 11 at t=30s
        await store.UpdateAsync(Prefix + "a", Obj.ConfigMap("a", "late"), Preconditions.None, Ct);
        Assert.Equal(0, store.CompactedRevision);
        for (var t = 0; t < 10; t++)
        {
            time.Advance(TimeSpan.FromSeconds(30)); // t=5m30s: the t=30s sample is 5 minutes old
        }

        await WaitUntilAsync(() => store.CompactedRevision == 11);
        await WaitUntilAsync(() => LogRows() == 2);
        await FailsAsync(StoreErrorCode.Expired, async () => await CollectAsync(store, Prefix, 10, 12));
        Assert.Single(await CollectAsync(store, Prefix, 11, 12));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition());
    }

    private long LogRows()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM log";
        return (long)command.ExecuteScalar()!;
    }
}
