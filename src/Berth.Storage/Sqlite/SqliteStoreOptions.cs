namespace Berth.Storage.Sqlite;

public sealed record SqliteStoreOptions
{
    /// <summary>The data dir; the store keeps <c>berth.db</c> (plus its WAL) and <c>berth.lock</c> in it.</summary>
    public required string DataDir { get; init; }

    public SqliteDurability Durability { get; init; } = SqliteDurability.Normal;

    /// <summary>
    /// History younger than this is kept for watches and lists at older revisions (upstream's API server
    /// compacts every 5 minutes).
    /// </summary>
    public TimeSpan HistoryRetention { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many revisions of history are kept, however young.</summary>
    public long MaxHistoryRevisions { get; init; } = 100_000;

    /// <summary>How often automatic compaction looks at the history; zero or negative turns it off.</summary>
    public TimeSpan CompactionCheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Revisions of history deleted per compaction transaction. Each batch holds the write lock for a few
    /// milliseconds and writes interleave between batches, so compaction never stalls writers for long
    /// (kine deletes in one statement and stalls for seconds on large databases).
    /// </summary>
    public int CompactionBatchRevisions { get; init; } = 2000;

    /// <summary>Writes committed together at most (group commit).</summary>
    public int MaxWritesPerCommit { get; init; } = 1024;

    /// <summary>Recent events the watch cache keeps in memory; older history is read from the database.</summary>
    public int CacheHistory { get; init; } = 16 * 1024;

    /// <summary>Events a watcher may fall behind before it is closed with WatcherTooSlow.</summary>
    public int WatcherBufferSize { get; init; } = 1024;

    /// <summary>How long a list or watch waits for a resourceVersion the store has not reached (upstream: 3 s).</summary>
    public TimeSpan TooLargeResourceVersionWait { get; init; } = TimeSpan.FromSeconds(3);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
