namespace Berth.Storage;

/// <summary>
/// An etcd-shaped key/value store: one global, strictly increasing revision that doubles as the
/// Kubernetes resourceVersion. Keys look like <c>/registry/apps/statefulsets/default/web</c>; values are
/// JSON objects (Kubernetes objects) kept as the bytes that were accepted. The store stamps
/// <c>metadata.resourceVersion</c> with the revision of the write into the stored bytes, so reads can
/// serve bytes without re-encoding.
/// </summary>
/// <remarks>
/// Errors are <see cref="StoreException"/> with a <see cref="StoreErrorCode"/>; the API server maps them
/// to HTTP statuses (KeyExists → 409 AlreadyExists, Conflict → 409 Conflict, NotFound → 404,
/// Expired → 410 Gone, TooLargeResourceVersion → 504 with a retry hint).
/// </remarks>
public interface IStore : IAsyncDisposable
{
    /// <summary>The revision of the last committed write (0 for an empty store).</summary>
    long CurrentRevision { get; }

    /// <summary>
    /// History at or below this revision is forgotten: reads at, and watches from, a revision below it are
    /// Expired; the state at this revision itself stays readable (as etcd's compact revision does).
    /// </summary>
    long CompactedRevision { get; }

    /// <summary>Creates <paramref name="key"/>; fails with KeyExists if it is present.</summary>
    ValueTask<KeyValue> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>The current value of <paramref name="key"/>, or null.</summary>
    ValueTask<KeyValue?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the value of an existing key. With <see cref="Preconditions.ModRevision"/> set, fails with
    /// Conflict unless it equals the key's current mod revision (the resourceVersion precondition).
    /// </summary>
    ValueTask<KeyValue> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an existing key and returns its last value (stamped with the delete's revision), failing
    /// with NotFound if it is absent and Conflict if a precondition (mod revision, metadata.uid) fails.
    /// </summary>
    ValueTask<KeyValue> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default);

    /// <summary>Lists the keys under <paramref name="prefix"/> at one consistent revision.</summary>
    ValueTask<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches every key under <paramref name="prefix"/> for changes after <paramref name="fromRevision"/>
    /// (0 = from now), in revision order, with no gaps and no duplicates. The enumeration ends with a
    /// StoreException (Expired if <paramref name="fromRevision"/> is compacted away, WatcherTooSlow if the
    /// consumer fell too far behind) or when <paramref name="cancellationToken"/> fires.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long fromRevision, CancellationToken cancellationToken = default);

    /// <summary>Forgets history at or below <paramref name="revision"/> (current values stay).</summary>
    ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default);
}
