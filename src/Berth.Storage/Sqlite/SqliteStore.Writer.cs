using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private readonly List<PendingWrite> _batch = [];
    private readonly List<WatchEvent> _events = [];
    private readonly Dictionary<string, KeyValue?> _overlay = new(StringComparer.Ordinal);
    private readonly List<CompactionRequest> _compactionWaiters = [];
    private SqliteCommand _insertLog = null!;
    private SqliteCommand _upsertCurrent = null!;
    private SqliteCommand _deleteCurrent = null!;
    private SqliteCommand _setRevision = null!;

    private void PrepareWriterCommands()
    {
        _insertLog = Command(
            "INSERT INTO log (revision, key, create_revision, prev_revision, deleted, value) VALUES ($rev, $key, $create, $prev, $deleted, $value)",
            "$rev", "$key", "$create", "$prev", "$deleted", "$value");
        _upsertCurrent = Command(
            "INSERT INTO current (key, revision) VALUES ($key, $rev) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision",
            "$key", "$rev");
        _deleteCurrent = Command("DELETE FROM current WHERE key = $key", "$key");
        _setRevision = Command("UPDATE meta SET value = $rev WHERE name = 'revision'", "$rev");
    }

    private void DisposeWriterCommands()
    {
        _insertLog.Dispose();
        _upsertCurrent.Dispose();
        _deleteCurrent.Dispose();
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

                    if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
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
            _insertLog.Transaction = tx;
            _upsertCurrent.Transaction = tx;
            _deleteCurrent.Transaction = tx;
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

                var p = _insertLog.Parameters;
                p[0].Value = revision;
                p[1].Value = key;
                p[2].Value = e.Current.CreateRevision;
                p[3].Value = e.Previous?.ModRevision ?? 0L;
                p[4].Value = deleted ? 1L : 0L;
                p[5].Value = AsArray(e.Current.Value);
                _insertLog.ExecuteNonQuery();
                if (deleted)
                {
                    _deleteCurrent.Parameters[0].Value = key;
                    _deleteCurrent.ExecuteNonQuery();
                }
                else
                {
                    _upsertCurrent.Parameters[0].Value = key;
                    _upsertCurrent.Parameters[1].Value = revision;
                    _upsertCurrent.ExecuteNonQuery();
                }
            }

            if (_events.Count > 0)
            {
                _setRevision.Parameters[0].Value = revision;
                _setRevision.ExecuteNonQuery();
            }

            tx.Commit();
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

    private static byte[] AsArray(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

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
