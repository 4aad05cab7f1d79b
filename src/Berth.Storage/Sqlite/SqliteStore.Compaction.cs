namespace Berth.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private readonly Lock _samplesLock = new();
    private readonly Queue<(DateTimeOffset At, long Revision)> _samples = new();

    /// <summary>
    /// Records the new compaction point at once (reads and watches below it become Expired, atomically with
    /// the meta row), then leaves the deleting to <see cref="CompactOneBatch"/>, a small batch at a time.
    /// </summary>
    private void RecordCompaction(CompactionRequest request)
    {
        try
        {
            if (request.Target > _compactRevision)
            {
                using var tx = _connection.BeginTransaction(deferred: false);
                using var command = _connection.CreateCommand();
                command.Transaction = tx;
                command.CommandText = "UPDATE meta SET value = $rev WHERE name = 'compact_revision'";
                command.Parameters.AddWithValue("$rev", request.Target);
                command.ExecuteNonQuery();
                tx.Commit();
                Volatile.Write(ref _compactRevision, request.Target);
            }
        }
        catch (Exception e)
        {
            request.Fail(e);
            return;
        }

        if (request.Target <= _compactedThrough)
        {
            request.Completion.TrySetResult();
        }
        else
        {
            _compactionWaiters.Add(request);
        }
    }

    /// <summary>
    /// Deletes the history in the next <see cref="SqliteStoreOptions.CompactionBatchRevisions"/> revisions
    /// that the compaction point made unreachable: rows superseded by a newer row at or below it, and
    /// tombstones at or below it. What stays is exactly the state at the compaction point, so every later
    /// event keeps its previous value.
    /// </summary>
    private void CompactOneBatch()
    {
        var target = _compactRevision;
        var from = _compactedThrough;
        var to = Math.Min(target, from + _options.CompactionBatchRevisions);
        try
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            using var delete = _connection.CreateCommand();
            delete.Transaction = tx;
            delete.CommandText = """
                DELETE FROM log
                WHERE revision > $from AND revision <= $to
                  AND (deleted = 1 OR EXISTS (
                        SELECT 1 FROM log AS newer
                        WHERE newer.key = log.key AND newer.revision > log.revision AND newer.revision <= $target))
                """;
            delete.Parameters.AddWithValue("$from", from);
            delete.Parameters.AddWithValue("$to", to);
            delete.Parameters.AddWithValue("$target", target);
            delete.ExecuteNonQuery();
            using var progress = _connection.CreateCommand();
            progress.Transaction = tx;
            progress.CommandText = "UPDATE meta SET value = $to WHERE name = 'compacted_through'";
            progress.Parameters.AddWithValue("$to", to);
            progress.ExecuteNonQuery();
            tx.Commit();
        }
        catch (Exception e)
        {
            foreach (var waiter in _compactionWaiters)
            {
                waiter.Fail(e);
            }

            _compactionWaiters.Clear();

            // Stop trying until the next start (the on-disk progress marker is unchanged, so it resumes then);
            // keeping more history than asked is safe, looping on a failing disk is not.
            Volatile.Write(ref _compactedThrough, _compactRevision);
            return;
        }

        Volatile.Write(ref _compactedThrough, to);
        for (var i = _compactionWaiters.Count - 1; i >= 0; i--)
        {
            if (_compactionWaiters[i].Target <= to)
            {
                _compactionWaiters[i].Completion.TrySetResult();
                _compactionWaiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Automatic compaction: keep history younger than <see cref="SqliteStoreOptions.HistoryRetention"/>, but
    /// never more than <see cref="SqliteStoreOptions.MaxHistoryRevisions"/> revisions of it. Revisions carry no
    /// timestamps, so the age of a revision is known from samples taken at each tick (the upstream API
    /// server's compactor does the same: it compacts to the revision it saw one interval ago).
    /// </summary>
    private void OnCompactionTick()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        long target;
        lock (_samplesLock)
        {
            var now = _options.TimeProvider.GetUtcNow();
            var current = CurrentRevision;
            _samples.Enqueue((now, current));
            var byAge = 0L;
            while (_samples.Count > 0 && _samples.Peek().At <= now - _options.HistoryRetention)
            {
                byAge = _samples.Dequeue().Revision;
            }

            target = Math.Max(byAge, current - _options.MaxHistoryRevisions);
        }

        if (target > CompactedRevision)
        {
            _ = _queue.Writer.TryWrite(new CompactionRequest(target));
        }
    }

    /// <summary>A request to compact through <see cref="Target"/>; completes once the history is deleted.</summary>
    private sealed class CompactionRequest(long target) : WriterItem
    {
        public long Target { get; } = target;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception error) => Completion.TrySetException(error);
    }
}
