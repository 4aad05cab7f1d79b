using Berth.Storage.Cache;

namespace Berth.Storage.Memory;

/// <summary>
/// The in-memory backend: the watch cache is the whole store. Writes are serialized by one lock (no I/O
/// under it), history is the cache's ring, and compaction trims the ring. For tests and <c>--store memory</c>.
/// </summary>
public sealed class MemoryStore : IStore
{
    private readonly Lock _writeLock = new();
    private readonly WatchCache _cache;
    private readonly CacheReader _reader;
    private long _compacted;
    private bool _disposed;

    public MemoryStore()
        : this(new MemoryStoreOptions())
    {
    }

    public MemoryStore(MemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cache = new WatchCache(options.HistoryCapacity, options.WatcherBufferSize);
        _reader = new CacheReader(_cache, null, () => CompactedRevision, options.TimeProvider, options.TooLargeResourceVersionWait);
    }

    public long CurrentRevision => _cache.Revision;

    /// <summary>The explicit compaction point, or the ring's floor once older events have been pushed out.</summary>
    public long CompactedRevision => Math.Max(Volatile.Read(ref _compacted), _cache.Floor);

    internal WatchCache Cache => _cache;

    public ValueTask<KeyValue> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteRequest.For(WriteKind.Create, key, value, Preconditions.None), cancellationToken);

    public ValueTask<KeyValue> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteRequest.For(WriteKind.Update, key, value, preconditions), cancellationToken);

    public ValueTask<KeyValue> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteRequest.For(WriteKind.Delete, key, default, preconditions), cancellationToken);

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

    public ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        lock (_writeLock)
        {
            if (revision > _cache.Revision)
            {
                throw new StoreException(StoreErrorCode.TooLargeResourceVersion,
                    $"cannot compact to revision {revision}: the current revision is {_cache.Revision}");
            }

            if (revision > _compacted)
            {
                Volatile.Write(ref _compacted, revision);
                _cache.TrimThrough(revision);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _cache.Close(new StoreException(StoreErrorCode.Closed, "the store is closed"));
            }
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask<KeyValue> WriteAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        StoreException? error;
        WatchEvent e;
        lock (_writeLock)
        {
            ThrowIfDisposed();
            var current = _cache.Snapshot.State.TryGetValue(request.Key, out var kv) ? kv : (KeyValue?)null;
            error = request.Apply(current, _cache.Revision + 1, out e);
            if (error is null)
            {
                _cache.Apply([e]);
            }
        }

        return error is null ? ValueTask.FromResult(e.Current) : ValueTask.FromException<KeyValue>(error);
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new StoreException(StoreErrorCode.Closed, "the store is closed");
        }
    }
}
