using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Berth.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private readonly List<PendingWrite> _batch = [];
    private readonly List<WatchEvent> _events = [];
    private readonly Dictionary<string, KeyValue?> _overlay = new(StringComparer.Ordinal);
    private readonly List<CompactionRequest> _compactionWaiters = [];
    private readonly ManualResetEventSlim _idle = new(initialState: false, spinCount: 0);
    private Action? _wakeWriter;

    private Action WakeWriter => _wakeWriter ??= _idle.Set;
    private long _commitsAtLastCheckpointRequest;
    private const string InsertLogSql =
        "INSERT INTO log (revision, key, create_revision, prev_revision, deleted, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

    private sqlite3_stmt _insertLog = null!;
    private SqliteCommand _setRevision = null!;

    private void PrepareWriterCommands()
    {
        // The per-row insert goes straight to SQLitePCL: Microsoft.Data.Sqlite builds a data reader per
        // ExecuteNonQuery, which cost more than the insert itself on this hot path.
        var rc = raw.sqlite3_prepare_v2(_connection.Handle!, InsertLogSql, out _insertLog);
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        _setRevision = Command("UPDATE meta SET value = $rev WHERE name = 'revision'", "$rev");
    }

    private void DisposeWriterCommands()
    {
        _insertLog.Dispose();
        _setRevision.Dispose();
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = p });
        }

        return command;
    }

    /// <summary>
    /// The single writer. Blocking a dedicated thread is deliberate: Microsoft.Data.Sqlite's async methods run
    /// synchronously anyway, and the pool threads stay free for callers and watchers.
    /// </summary>
    private void WriterLoop()
    {
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                if (!reader.TryPeek(out _))
                {
                    if (Volatile.Read(ref _compactedThrough) < Volatile.Read(ref _compactRevision))
                    {
                        // Idle: spend it on one compaction batch, then look at the queue again.
                        CompactOneBatch();
                        continue;
                    }

                    if (_commits != _commitsAtLastCheckpointRequest)
                    {
                        // Going idle: checkpoint what is in the WAL now rather than leave it for later.
                        _commitsAtLastCheckpointRequest = _commits;
                        RequestCheckpoint();
                    }

                    // Sleep until the queue has work without spinning first, as Task.Wait would: the writer goes idle
                    // between nearly every group commit, and that spinning took 10-15% of the server's CPU under a pod
                    // create load on two cores (dotnet-trace, docs/benchmarks.md). The wake-up is a Monitor pulse.
                    var more = reader.WaitToReadAsync();
                    if (!more.IsCompleted)
                    {
                        _idle.Reset();
                        more.GetAwaiter().UnsafeOnCompleted(WakeWriter);
                        _idle.Wait();
                    }

                    if (!more.GetAwaiter().GetResult())
                    {
                        break;
                    }
                }

                _batch.Clear();
                while (_batch.Count < _options.MaxWritesPerCommit && reader.TryRead(out var item))
                {
                    if (item is PendingWrite write)
                    {
                        _batch.Add(write);
                    }
                    else
                    {
                        CommitBatch();
                        _batch.Clear();
                        RecordCompaction((CompactionRequest)item);
                    }
                }

                CommitBatch();

                // Under sustained writes compaction still progresses, one small batch per group commit.
                if (Volatile.Read(ref _compactedThrough) < Volatile.Read(ref _compactRevision))
                {
                    CompactOneBatch();
                }
            }
        }
        catch (Exception e)
        {
            // Not expected (commit failures are reported per batch); fail whatever is left so nobody hangs.
            while (reader.TryRead(out var item))
            {
                item.Fail(e);
            }

            throw;
        }
        finally
        {
            foreach (var waiter in _compactionWaiters)
            {
                waiter.Fail(Closed());
            }

            _compactionWaiters.Clear();
            _writerDone.TrySetResult();
        }
    }

    private void CommitBatch()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        _events.Clear();
        _overlay.Clear();
        var state = _cache.Snapshot.State;
        var revision = _cache.Revision;
        try
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            _setRevision.Transaction = tx;
            foreach (var write in _batch)
            {
                var key = write.Request.Key;
                KeyValue? current = _overlay.TryGetValue(key, out var pending) ? pending
                    : state.TryGetValue(key, out var kv) ? kv : null;
                write.Error = write.Request.Apply(current, revision + 1, out var e);
                if (write.Error is not null)
                {
                    continue;
                }

                revision++;
                _events.Add(e);
                write.Result = e.Current;
                var deleted = e.Type == WatchEventType.Deleted;
                _overlay[key] = deleted ? null : e.Current;

                InsertLog(revision, key, e.Current.CreateRevision, e.Previous?.ModRevision ?? 0L, deleted, e.Current.Value.Span);
            }

            if (_events.Count > 0)
            {
                _setRevision.Parameters[0].Value = revision;
                _setRevision.ExecuteNonQuery();
            }

            tx.Commit();
            if (++_commits - _commitsAtLastCheckpointRequest >= CheckpointEveryCommits)
            {
                _commitsAtLastCheckpointRequest = _commits;
                RequestCheckpoint();
            }
        }
        catch (Exception e)
        {
            foreach (var write in _batch)
            {
                write.Fail(e);
            }

            return;
        }

        // Publish first, then acknowledge: a caller that hears back can read its write from the cache.
        _cache.Apply(CollectionsMarshal.AsSpan(_events));
        foreach (var write in _batch)
        {
            if (write.Error is { } error)
            {
                write.Fail(error);
            }
            else
            {
                write.Completion.TrySetResult(write.Result);
            }
        }

    }

    private void InsertLog(long revision, string key, long createRevision, long prevRevision, bool deleted, ReadOnlySpan<byte> value)
    {
        var db = _connection.Handle!;
        var s = _insertLog;
        try
        {
            Check(raw.sqlite3_bind_int64(s, 1, revision), db);
            Check(raw.sqlite3_bind_text(s, 2, key), db);
            Check(raw.sqlite3_bind_int64(s, 3, createRevision), db);
            Check(raw.sqlite3_bind_int64(s, 4, prevRevision), db);
            Check(raw.sqlite3_bind_int64(s, 5, deleted ? 1 : 0), db);
            Check(raw.sqlite3_bind_blob(s, 6, value), db);
            var rc = raw.sqlite3_step(s);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }
        finally
        {
            raw.sqlite3_reset(s);
            raw.sqlite3_clear_bindings(s);
        }
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    /// <summary>A write waiting for the writer thread.</summary>
    private sealed class PendingWrite(WriteRequest request) : WriterItem
    {
        public WriteRequest Request { get; } = request;

        public TaskCompletionSource<KeyValue> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StoreException? Error { get; set; }

        public KeyValue Result { get; set; }

        public override void Fail(Exception error) => Completion.TrySetException(error);
    }

    /// <summary>Work for the writer thread: a write or a compaction request.</summary>
    private abstract class WriterItem
    {
        public abstract void Fail(Exception error);
    }
}
