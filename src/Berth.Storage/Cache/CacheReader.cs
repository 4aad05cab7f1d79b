using System.Globalization;
using System.Runtime.CompilerServices;

namespace Berth.Storage.Cache;

/// <summary>
/// The read side both backends share: get, list with upstream resourceVersion semantics and paging, and
/// watch from any revision, all served from the <see cref="WatchCache"/>, falling back to the backend's
/// <see cref="IHistorySource"/> for revisions older than the cache holds.
/// </summary>
internal sealed class CacheReader(WatchCache cache, IHistorySource? history, Func<long> compactedRevision, TimeProvider time, TimeSpan tooLargeWait)
{
    /// <summary>Revisions scanned per catch-up step under the cache lock, so catching up never holds it long.</summary>
    private const int CatchUpScan = 1024;

    public KeyValue? Get(string key)
    {
        StoreKeys.ValidateKey(key);
        return cache.Snapshot.State.TryGetValue(key, out var kv) ? kv : null;
    }

    public async ValueTask<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        StoreKeys.ValidatePrefix(prefix);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Limit);
        var rv = options.ResourceVersion;
        if (!string.IsNullOrEmpty(options.Continue))
        {
            // Upstream validation: "specifying resource version is not allowed when using continue".
            if (!string.IsNullOrEmpty(rv) && rv != "0")
            {
                throw new StoreException(StoreErrorCode.InvalidContinue, "specifying resource version is not allowed when using continue");
            }

            var (revision, startKey) = ContinueToken.Decode(options.Continue, prefix);
            if (revision < compactedRevision())
            {
                // Upstream etcd3 store answers 410 with this message (and an inconsistent-continue token, which
                // the API server can add from a fresh list).
                throw new StoreException(StoreErrorCode.Expired,
                    "The provided continue parameter is too old to display a consistent list result. " +
                    "You can start a new list without the continue parameter.");
            }

            if (revision > cache.Revision)
            {
                throw new StoreException(StoreErrorCode.InvalidContinue, $"continue key is not valid: resourceVersion {revision} is in the future");
            }

            return await ReadAtAsync(prefix, startKey, revision, options.Limit, options.Filter, cancellationToken).ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(rv))
        {
            if (options.Match != ResourceVersionMatch.Unset)
            {
                throw new ArgumentException("resourceVersionMatch is forbidden unless resourceVersion is provided", nameof(options));
            }

            // A consistent read: every acknowledged write is in the cache before its caller hears back (both
            // backends publish before completing), so the cache's revision is the store's.
            return await ReadAtAsync(prefix, prefix, cache.Revision, options.Limit, options.Filter, cancellationToken).ConfigureAwait(false);
        }

        if (!long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var requested))
        {
            throw new ArgumentException($"invalid resourceVersion \"{rv}\"", nameof(options));
        }

        if (requested == 0)
        {
            if (options.Match == ResourceVersionMatch.Exact)
            {
                throw new ArgumentException("resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"", nameof(options));
            }

            // "Any": served from the cache. Upstream's cacher ignores limit here (whole list, no continue).
            return await ReadAtAsync(prefix, prefix, cache.Revision, 0, options.Filter, cancellationToken).ConfigureAwait(false);
        }

        // Upstream: Exact, or the legacy meaning of an unset match with a limit, lists at exactly that revision.
        if (options.Match == ResourceVersionMatch.Exact || options.Match == ResourceVersionMatch.Unset && options.Limit > 0)
        {
            if (requested < compactedRevision())
            {
                throw new StoreException(StoreErrorCode.Expired, "The resourceVersion for the provided list is too old.");
            }

            if (requested > cache.Revision)
            {
                throw TooLarge(requested);
            }

            return await ReadAtAsync(prefix, prefix, requested, options.Limit, options.Filter, cancellationToken).ConfigureAwait(false);
        }

        // NotOlderThan: like upstream's cacher, wait briefly for a revision we have not reached yet.
        if (!await cache.WaitForRevisionAsync(requested, tooLargeWait, time, cancellationToken).ConfigureAwait(false))
        {
            throw TooLarge(requested);
        }

        return await ReadAtAsync(prefix, prefix, cache.Revision, options.Limit, options.Filter, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long fromRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreKeys.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(fromRevision);
        var position = fromRevision == 0 ? cache.Revision : fromRevision;
        if (position < compactedRevision())
        {
            throw TooOld(position);
        }

        if (position > cache.Revision &&
            !await cache.WaitForRevisionAsync(position, tooLargeWait, time, cancellationToken).ConfigureAwait(false))
        {
            throw TooLarge(position);
        }

        var batch = new List<WatchEvent>();
        CacheWatcher? watcher = null;
        try
        {
            while (watcher is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                var step = cache.CatchUp(prefix, ref position, CatchUpScan, batch, out watcher);
                if (step == CatchUpResult.BeforeFloor)
                {
                    if (history is null || position < history.CompactedRevision)
                    {
                        throw TooOld(position);
                    }

                    var through = Math.Min(cache.Floor, position + CatchUpScan);
                    await history.ReadEventsAsync(prefix, position, through, batch, cancellationToken).ConfigureAwait(false);
                    position = through;
                }

                foreach (var e in batch)
                {
                    yield return e;
                }
            }

            var reader = watcher.Channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            if (watcher is not null)
            {
                cache.Unregister(watcher);
            }
        }
    }

    public StoreException TooOld(long revision) =>
        new(StoreErrorCode.Expired, $"too old resource version: {revision} ({compactedRevision()})");

    private StoreException TooLarge(long revision) =>
        new(StoreErrorCode.TooLargeResourceVersion, $"Too large resource version: {revision}, current: {cache.Revision}");

    private async ValueTask<ListResult> ReadAtAsync(string prefix, string startKey, long revision, long limit, Func<KeyValue, bool>? filter, CancellationToken cancellationToken)
    {
        var page = new PageBuilder(prefix, revision, limit, filter);
        var captured = cache.Capture(prefix, revision);
        if (captured is { } c)
        {
            foreach (var kv in AtRevision(c.Snapshot, c.Later, prefix, startKey))
            {
                if (!page.Add(kv))
                {
                    break;
                }
            }

            return page.Build();
        }

        if (history is null || revision < history.CompactedRevision)
        {
            throw new StoreException(StoreErrorCode.Expired, "The resourceVersion for the provided list is too old.");
        }

        await foreach (var kv in history.ReadRangeAsync(prefix, startKey, revision, cancellationToken).ConfigureAwait(false))
        {
            if (!page.Add(kv))
            {
                break;
            }
        }

        return page.Build();
    }

    /// <summary>
    /// The values under <paramref name="prefix"/> from <paramref name="startKey"/> on, as they were before
    /// <paramref name="later"/> happened: each key touched later takes the value its first later event replaced.
    /// </summary>
    private static IEnumerable<KeyValue> AtRevision(CacheSnapshot snapshot, List<WatchEvent> later, string prefix, string startKey)
    {
        Dictionary<string, KeyValue?>? undo = null;
        List<KeyValue>? resurrected = null;
        if (later.Count > 0)
        {
            undo = new Dictionary<string, KeyValue?>(StringComparer.Ordinal);
            foreach (var e in later)
            {
                undo.TryAdd(e.Current.Key, e.Type == WatchEventType.Added ? null : e.Previous);
            }

            foreach (var (key, value) in undo)
            {
                if (value is { } v && !snapshot.State.ContainsKey(key) && string.CompareOrdinal(key, startKey) >= 0)
                {
                    (resurrected ??= []).Add(v);
                }
            }

            resurrected?.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        var r = 0;
        foreach (var (key, current) in snapshot.State)
        {
            if (string.CompareOrdinal(key, startKey) < 0)
            {
                continue;
            }

            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            while (resurrected is not null && r < resurrected.Count && string.CompareOrdinal(resurrected[r].Key, key) < 0)
            {
                yield return resurrected[r++];
            }

            if (undo is not null && undo.TryGetValue(key, out var old))
            {
                if (old is { } o)
                {
                    yield return o;
                }

                continue;
            }

            yield return current;
        }

        while (resurrected is not null && r < resurrected.Count)
        {
            yield return resurrected[r++];
        }
    }
}
