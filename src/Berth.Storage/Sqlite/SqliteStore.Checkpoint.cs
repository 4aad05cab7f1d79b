using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>About 2,000 writes of 1 KiB at full batches: a few MiB of WAL between checkpoints.</summary>
    private const int CheckpointEveryCommits = 32;

    /// <summary>
    /// At most one checkpoint per this interval. The writer asks for one whenever it goes idle, and under a stream of
    /// small requests (pod creates over HTTP) it goes idle between nearly every group commit: each checkpoint fsyncs
    /// the WAL and the database, and each WAL restart after one fsyncs the WAL header on the writer's thread. That was
    /// about a fifth of the server's CPU per pod create (docs/benchmarks.md, create throughput). A request that
    /// arrives meanwhile is served when the interval ends, so an idle store is still checkpointed soon after.
    /// </summary>
    private static readonly TimeSpan MinCheckpointInterval = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _checkpointSignal = new(0, 1);
    private readonly ManualResetEventSlim _checkpointerStopping = new(initialState: false, spinCount: 0);
    private readonly TaskCompletionSource _checkpointerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopCheckpointer;

    /// <summary>
    /// The writer runs with wal_autocheckpoint off; this thread runs PASSIVE checkpoints on its own connection
    /// when asked. PASSIVE never waits for the writer, and once every frame is copied SQLite restarts the WAL
    /// from its beginning on the next commit, so the file stays bounded.
    /// </summary>
    private void StartCheckpointer(string path, SqliteDurability durability)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
                connection.Open();
                Execute(connection, durability == SqliteDurability.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
                while (true)
                {
                    _checkpointSignal.Wait();
                    if (_stopCheckpointer)
                    {
                        break;
                    }

                    try
                    {
                        Execute(connection, "PRAGMA wal_checkpoint(PASSIVE)");
                    }
                    catch (SqliteException)
                    {
                        // A failed checkpoint loses nothing (the WAL still holds every commit); try again next time.
                    }

                    // Durability does not depend on checkpoints (a commit is in the WAL before it is acknowledged).
                    _checkpointerStopping.Wait(MinCheckpointInterval);
                }
            }
            finally
            {
                _checkpointerDone.TrySetResult();
            }
        })
        { IsBackground = true, Name = "berth-sqlite-checkpoint" };
        thread.Start();
    }

    private void RequestCheckpoint()
    {
        if (_checkpointSignal.CurrentCount == 0)
        {
            try
            {
                _checkpointSignal.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    private async Task StopCheckpointerAsync()
    {
        _stopCheckpointer = true;
        _checkpointerStopping.Set();
        RequestCheckpoint();
        await _checkpointerDone.Task.ConfigureAwait(false);
        _checkpointSignal.Dispose();
        _checkpointerStopping.Dispose();
    }
}
