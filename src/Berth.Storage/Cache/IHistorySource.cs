namespace Berth.Storage.Cache;

/// <summary>
/// A backend's own history, older than what the watch cache holds (SQLite's log table). The memory backend
/// has none: its history is the cache's ring.
/// </summary>
internal interface IHistorySource
{
    /// <summary>Revisions below this one are gone from the backend.</summary>
    long CompactedRevision { get; }

    /// <summary>
    /// Events under <paramref name="prefix"/> with revisions in (<paramref name="after"/>, <paramref name="through"/>],
    /// in order, with previous values; throws Expired if <paramref name="after"/> was compacted away meanwhile.
    /// </summary>
    ValueTask ReadEventsAsync(string prefix, long after, long through, List<WatchEvent> into, CancellationToken cancellationToken);

    /// <summary>The values under <paramref name="prefix"/> at <paramref name="revision"/>, from <paramref name="startKey"/> in key order.</summary>
    IAsyncEnumerable<KeyValue> ReadRangeAsync(string prefix, string startKey, long revision, CancellationToken cancellationToken);
}
