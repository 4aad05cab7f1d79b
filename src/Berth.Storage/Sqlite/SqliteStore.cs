using System.Collections.Immutable;
using System.Threading.Channels;
using Berth.Storage.Cache;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The default backend: one SQLite file (<c>DATA/berth.db</c>, WAL) written by a single writer thread that
/// drains a channel and group-commits each batch in one BEGIN IMMEDIATE transaction. Revisions are assigned
/// inside the transaction; callers are completed and watch events published only after the commit, in
/// revision order. Reads are served by the shared watch cache; history older than the cache is read from
/// the log table on reader connections of their own.
/// </summary>
public sealed partial class SqliteStore : IStore, IHistorySource
{
    private readonly SqliteStoreOptions _options;
    private readonly string _path;
    private readonly DataDirLock _dirLock;
    private readonly SqliteConnection _connection;
    private readonly string _readerConnectionString;
    private readonly WatchCache _cache;
    private readonly CacheReader _reader;
    private readonly Channel<WriterItem> _queue;
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer? _compactionTimer;
    private long _compactRevision;
    private long _compactedThrough;
    private int _disposed;
    private long _commits;

    private SqliteStore(SqliteStoreOptions options, string path, DataDirLock dirLock, SqliteConnection connection, WatchCache cache, long compactRevision, long compactedThrough)
    {
        _options = options;
        _path = path;
        _dirLock = dirLock;
        _connection = connection;
        _cache = cache;
        _compactRevision = compactRevision;
        _compactedThrough = compactedThrough;
        _readerConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        _reader = new CacheReader(cache, this, () => CompactedRevision, options.TimeProvider, options.TooLargeResourceVersionWait);
        _queue = Channel.CreateBounded<WriterItem>(new BoundedChannelOptions(Math.Max(options.MaxWritesPerCommit * 4, 64))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        PrepareWriterCommands();
        StartCheckpointer(path, options.Durability);
        var writer = new Thread(WriterLoop) { IsBackground = true, Name = "berth-sqlite-writer" };
        writer.Start();
        if (options.CompactionCheckInterval > TimeSpan.Zero)
        {
            _compactionTimer = options.TimeProvider.CreateTimer(_ => OnCompactionTick(), null, options.CompactionCheckInterval, options.CompactionCheckInterval);
        }
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _path;

    public long CurrentRevision => _cache.Revision;

    public long CompactedRevision => Volatile.Read(ref _compactRevision);

    /// <summary>Group commits so far (diagnostics and benchmarks: writes per commit shows how well batching works).</summary>
    internal long CommitCount => Volatile.Read(ref _commits);

    /// <summary>Live watchers (diagnostics and benchmarks).</summary>
    internal int WatcherCount => _cache.WatcherCount;

    /// <summary>Opens (creating if needed) the store in <see cref="SqliteStoreOptions.DataDir"/>.</summary>
    /// <exception cref="StoreException">InUse when another process holds the data dir; Corrupt for a foreign or damaged file.</exception>
    public static ValueTask<SqliteStore> OpenAsync(SqliteStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDir);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxWritesPerCommit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CompactionBatchRevisions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxHistoryRevisions, 0);
        cancellationToken.ThrowIfCancellationRequested();

        var dataDir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dataDir);
        var dirLock = DataDirLock.Acquire(dataDir);
        var path = Path.Combine(dataDir, "berth.db");
        SqliteConnection? connection = null;
        try
        {
            connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
            }.ToString());
            connection.Open();

            // Check what the file is before changing anything in it (journal mode persists in the file).
            var (revision, compactRevision, compactedThrough) = SqliteSchema.Prepare(connection, path);
            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, options.Durability == SqliteDurability.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");

            // Checkpoints (copying the WAL into the database and fsyncing both) run on their own thread and
            // connection, so the writer never pays for them inside a commit.
            Execute(connection, "PRAGMA wal_autocheckpoint = 0");
            var state = LoadState(connection, path);
            var cache = new WatchCache(options.CacheHistory, options.WatcherBufferSize);
            cache.Reset(state, revision);
            return ValueTask.FromResult(new SqliteStore(options, path, dirLock, connection, cache, compactRevision, compactedThrough));
        }
        catch (SqliteException e)
        {
            connection?.Dispose();
            dirLock.Dispose();
            throw new StoreException(StoreErrorCode.Corrupt, $"{path} is corrupt or not a SQLite database: {e.Message}", e);
        }
        catch
        {
            connection?.Dispose();
            dirLock.Dispose();
            throw;
        }
    }

    public ValueTask<KeyValue> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        EnqueueAsync(WriteRequest.For(WriteKind.Create, key, value, Preconditions.None), cancellationToken);

    public ValueTask<KeyValue> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default) =>
        EnqueueAsync(WriteRequest.For(WriteKind.Update, key, value, preconditions), cancellationToken);

    public ValueTask<KeyValue> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default) =>
        EnqueueAsync(WriteRequest.For(WriteKind.Delete, key, default, preconditions), cancellationToken);

    public ValueTask<KeyValue?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ValueTask.FromResult(_reader.Get(key));
    }

    public ValueTask<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _reader.ListAsync(prefix, options, cancellationToken);
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long fromRevision, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _reader.WatchAsync(prefix, fromRevision, cancellationToken);
    }

    public async ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (revision > CurrentRevision)
        {
            throw new StoreException(StoreErrorCode.TooLargeResourceVersion,
                $"cannot compact to revision {revision}: the current revision is {CurrentRevision}");
        }

        var request = new CompactionRequest(revision);
        await EnqueueItemAsync(request, cancellationToken).ConfigureAwait(false);
        await request.Completion.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _compactionTimer?.Dispose();
        _queue.Writer.TryComplete();
        await _writerDone.Task.ConfigureAwait(false);
        await StopCheckpointerAsync().ConfigureAwait(false);
        _cache.Close(Closed());
        DisposeWriterCommands();
        _idle.Dispose();
        _connection.Dispose();
        using (var reader = new SqliteConnection(_readerConnectionString))
        {
            SqliteConnection.ClearPool(reader);
        }

        _dirLock.Dispose();
    }

    private static StoreException Closed() => new(StoreErrorCode.Closed, "the store is closed");

    private async ValueTask<KeyValue> EnqueueAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        var write = new PendingWrite(request);
        await EnqueueItemAsync(write, cancellationToken).ConfigureAwait(false);

        // Once queued the write may commit, so it is not cancellable any more (as with etcd).
        return await write.Completion.Task.ConfigureAwait(false);
    }

    private async ValueTask EnqueueItemAsync(WriterItem item, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_queue.Writer.TryWrite(item))
        {
            return;
        }

        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw Closed();
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw Closed();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static ImmutableSortedDictionary<string, KeyValue> LoadState(SqliteConnection connection, string path)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, KeyValue>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        // Replay the log in revision order; it holds the state at the compaction point plus the history after it.
        command.CommandText = "SELECT key, create_revision, revision, deleted, value FROM log ORDER BY revision";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = reader.GetString(0);
            if (reader.GetInt64(3) != 0)
            {
                builder.Remove(key);
                continue;
            }

            builder[key] = new KeyValue(key, (byte[])reader.GetValue(4), reader.GetInt64(1), reader.GetInt64(2));
        }

        return builder.ToImmutable();
    }
}
