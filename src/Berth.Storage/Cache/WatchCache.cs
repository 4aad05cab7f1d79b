using System.Collections.Immutable;

namespace Berth.Storage.Cache;

/// <summary>
/// The watch cache shared by every reader and watcher of a store (upstream: apiserver's cacher and
/// watchCache): the current state of every key, a ring of the most recent events (contiguous revisions, so
/// the ring covers exactly (Floor, Revision]), and the live watchers. Writers apply committed events in
/// revision order; publishing only TryWrites to bounded per-watcher queues, so a slow watcher is closed,
/// never waited for.
/// </summary>
internal sealed class WatchCache
{
    private readonly Lock _lock = new();
    private readonly WatchEvent[] _ring;
    private readonly int _watcherCapacity;
    private readonly List<CacheWatcher> _watchers = [];
    private readonly List<(long Revision, TaskCompletionSource Signal)> _revisionWaiters = [];
    private int _ringStart;
    private int _ringCount;
    private volatile CacheSnapshot _snapshot = CacheSnapshot.Empty;
    private StoreException? _closed;

    public WatchCache(int historyCapacity, int watcherCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historyCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(watcherCapacity, 1);
        _ring = new WatchEvent[historyCapacity];
        _watcherCapacity = watcherCapacity;
    }

    public CacheSnapshot Snapshot => _snapshot;

    public long Revision => _snapshot.Revision;

    /// <summary>The oldest revision whose state the cache can reconstruct: Revision minus the events it holds.</summary>
    public long Floor
    {
        get
        {
            lock (_lock)
            {
                return _snapshot.Revision - _ringCount;
            }
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>Replaces everything with a loaded state (startup); history starts empty at <paramref name="revision"/>.</summary>
    public void Reset(ImmutableSortedDictionary<string, KeyValue> state, long revision)
    {
        lock (_lock)
        {
            _ringCount = 0;
            _ringStart = 0;
            _snapshot = new CacheSnapshot(state, revision);
        }
    }

    /// <summary>Applies committed events (consecutive revisions, in order) and fans them out.</summary>
    public void Apply(ReadOnlySpan<WatchEvent> events)
    {
        if (events.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            var snapshot = _snapshot;
            var builder = snapshot.State.ToBuilder();
            var revision = snapshot.Revision;
            foreach (var e in events)
            {
                if (e.Revision != revision + 1)
                {
                    throw new InvalidOperationException($"watch cache at revision {revision} was given event {e.Revision}");
                }

                revision = e.Revision;
                if (e.Type == WatchEventType.Deleted)
                {
                    builder.Remove(e.Current.Key);
                }
                else
                {
                    builder[e.Current.Key] = e.Current;
                }

                Push(e);
            }

            _snapshot = new CacheSnapshot(builder.ToImmutable(), revision);
            foreach (var e in events)
            {
                Publish(e);
            }

            for (var i = _revisionWaiters.Count - 1; i >= 0; i--)
            {
                if (_revisionWaiters[i].Revision <= revision)
                {
                    _revisionWaiters[i].Signal.TrySetResult();
                    _revisionWaiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Drops events at or below <paramref name="revision"/> from the ring (the memory backend's compaction).</summary>
    public void TrimThrough(long revision)
    {
        lock (_lock)
        {
            var floor = _snapshot.Revision - _ringCount;
            var drop = (int)Math.Clamp(revision - floor, 0, _ringCount);
            for (var i = 0; i < drop; i++)
            {
                _ring[_ringStart] = default;
                _ringStart = (_ringStart + 1) % _ring.Length;
            }

            _ringCount -= drop;
        }
    }

    /// <summary>
    /// One step of a watcher's catch-up from <paramref name="position"/>: either copies up to
    /// <paramref name="maxScan"/> revisions' matching events into <paramref name="into"/> and advances the
    /// position, or (once caught up) registers the watcher, atomically with respect to publishing, so the
    /// next event it sees is exactly position + 1.
    /// </summary>
    public CatchUpResult CatchUp(string prefix, ref long position, int maxScan, List<WatchEvent> into, out CacheWatcher? watcher)
    {
        watcher = null;
        lock (_lock)
        {
            if (_closed is not null)
            {
                throw _closed;
            }

            var revision = _snapshot.Revision;
            if (position >= revision)
            {
                watcher = new CacheWatcher(prefix, _watcherCapacity);
                _watchers.Add(watcher);
                return CatchUpResult.Registered;
            }

            var floor = revision - _ringCount;
            if (position < floor)
            {
                return CatchUpResult.BeforeFloor;
            }

            var end = Math.Min(revision, position + maxScan);
            for (var r = position + 1; r <= end; r++)
            {
                ref readonly var e = ref _ring[(_ringStart + (int)(r - floor - 1)) % _ring.Length];
                if (e.Current.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    into.Add(e);
                }
            }

            position = end;
            return CatchUpResult.Events;
        }
    }

    public void Unregister(CacheWatcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }

        watcher.Channel.Writer.TryComplete();
    }

    /// <summary>
    /// The state at <paramref name="revision"/> restricted to keys under <paramref name="prefix"/>, expressed as
    /// the current snapshot plus the events after <paramref name="revision"/> (to be undone), or null when the
    /// cache no longer holds those events.
    /// </summary>
    public (CacheSnapshot Snapshot, List<WatchEvent> Later)? Capture(string prefix, long revision)
    {
        lock (_lock)
        {
            var snapshot = _snapshot;
            var floor = snapshot.Revision - _ringCount;
            if (revision < floor || revision > snapshot.Revision)
            {
                return null;
            }

            var later = new List<WatchEvent>();
            for (var r = revision + 1; r <= snapshot.Revision; r++)
            {
                ref readonly var e = ref _ring[(_ringStart + (int)(r - floor - 1)) % _ring.Length];
                if (e.Current.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    later.Add(e);
                }
            }

            return (snapshot, later);
        }
    }

    /// <summary>Completes when the cache reaches <paramref name="revision"/>; false after <paramref name="timeout"/>.</summary>
    public async ValueTask<bool> WaitForRevisionAsync(long revision, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_snapshot.Revision >= revision)
            {
                return true;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _revisionWaiters.Add((revision, signal));
        }

        try
        {
            await signal.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                _revisionWaiters.RemoveAll(w => w.Signal == signal);
            }

            return _snapshot.Revision >= revision;
        }
    }

    /// <summary>Ends every watcher with <paramref name="reason"/> and refuses new ones.</summary>
    public void Close(StoreException reason)
    {
        lock (_lock)
        {
            _closed = reason;
            foreach (var w in _watchers)
            {
                w.Channel.Writer.TryComplete(reason);
            }

            _watchers.Clear();
            foreach (var (_, signal) in _revisionWaiters)
            {
                signal.TrySetException(reason);
            }

            _revisionWaiters.Clear();
        }
    }

    private void Push(in WatchEvent e)
    {
        if (_ringCount == _ring.Length)
        {
            _ring[_ringStart] = e;
            _ringStart = (_ringStart + 1) % _ring.Length;
        }
        else
        {
            _ring[(_ringStart + _ringCount) % _ring.Length] = e;
            _ringCount++;
        }
    }

    private void Publish(in WatchEvent e)
    {
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            var w = _watchers[i];
            if (!e.Current.Key.StartsWith(w.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!w.Channel.Writer.TryWrite(e))
            {
                w.Channel.Writer.TryComplete(new StoreException(
                    StoreErrorCode.WatcherTooSlow,
                    $"watcher of \"{w.Prefix}\" fell more than {_watcherCapacity} events behind and was closed; re-list and watch again"));
                _watchers[i] = _watchers[^1];
                _watchers.RemoveAt(_watchers.Count - 1);
            }
        }
    }
}
