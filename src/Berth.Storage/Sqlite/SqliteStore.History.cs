using System.Runtime.CompilerServices;
using Berth.Storage.Cache;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Events older than the watch cache holds, from the log. Each read runs in one read transaction and first
    /// checks the compaction point inside it: compaction records its point before deleting anything, so a
    /// snapshot that could miss deleted rows always sees the point that makes the read Expired.
    /// </summary>
    async ValueTask IHistorySource.ReadEventsAsync(string prefix, long after, long through, List<WatchEvent> into, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var connection = OpenReader();
        using var tx = connection.BeginTransaction(deferred: true);
        CheckNotCompacted(connection, tx, after, static (a, c) => new StoreException(StoreErrorCode.Expired, $"too old resource version: {a} ({c})"));
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            SELECT l.revision, l.key, l.create_revision, l.prev_revision, l.deleted, l.value, p.value, p.create_revision
            FROM log l LEFT JOIN log p ON p.revision = l.prev_revision AND l.prev_revision > 0
            WHERE l.revision > $after AND l.revision <= $through AND l.key >= $prefix AND l.key < $end
            ORDER BY l.revision
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$through", through);
        command.Parameters.AddWithValue("$prefix", prefix);
        command.Parameters.AddWithValue("$end", PrefixEnd(prefix));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var revision = reader.GetInt64(0);
            var key = reader.GetString(1);
            var current = new KeyValue(key, (byte[])reader.GetValue(5), reader.GetInt64(2), revision);
            var prevRevision = reader.GetInt64(3);
            KeyValue? previous = null;
            if (prevRevision > 0)
            {
                if (reader.IsDBNull(6))
                {
                    throw new StoreException(StoreErrorCode.Corrupt, $"{_path} is inconsistent: revision {prevRevision} of {key} is missing from the log");
                }

                previous = new KeyValue(key, (byte[])reader.GetValue(6), reader.GetInt64(7), prevRevision);
            }

            var type = reader.GetInt64(4) != 0 ? WatchEventType.Deleted : previous is null ? WatchEventType.Added : WatchEventType.Modified;
            into.Add(new WatchEvent(type, current, previous));
        }
    }

    /// <summary>The state under a prefix at an older revision: for each key, its newest row at or below it, unless a tombstone.</summary>
    async IAsyncEnumerable<KeyValue> IHistorySource.ReadRangeAsync(string prefix, string startKey, long revision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var connection = OpenReader();
        using var tx = connection.BeginTransaction(deferred: true);
        CheckNotCompacted(connection, tx, revision, static (_, _) => new StoreException(StoreErrorCode.Expired, "The resourceVersion for the provided list is too old."));
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            SELECT l.key, l.create_revision, l.revision, l.deleted, l.value
            FROM log l
            WHERE l.key >= $start AND l.key < $end AND l.revision <= $rev
              AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key AND n.revision > l.revision AND n.revision <= $rev)
            ORDER BY l.key
            """;
        command.Parameters.AddWithValue("$start", startKey);
        command.Parameters.AddWithValue("$end", PrefixEnd(prefix));
        command.Parameters.AddWithValue("$rev", revision);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reader.GetInt64(3) != 0)
            {
                continue;
            }

            yield return new KeyValue(reader.GetString(0), (byte[])reader.GetValue(4), reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        return connection;
    }

    private static void CheckNotCompacted(SqliteConnection connection, SqliteTransaction tx, long revision, Func<long, long, StoreException> expired)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT value FROM meta WHERE name = 'compact_revision'";
        var compacted = (long)command.ExecuteScalar()!;
        if (revision < compacted)
        {
            throw expired(revision, compacted);
        }
    }

    /// <summary>The smallest string greater than every key that starts with <paramref name="prefix"/> (etcd's range end).</summary>
    private static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
