namespace Berth.Storage;

/// <summary>A validated write, ready to be applied against the current value of its key.</summary>
internal sealed class WriteRequest(WriteKind kind, string key, ReadOnlyMemory<byte> value, ObjectBytes.Layout layout, Preconditions preconditions)
{
    public WriteKind Kind { get; } = kind;
    public string Key { get; } = key;
    public ReadOnlyMemory<byte> Value { get; } = value;
    public ObjectBytes.Layout Layout { get; } = layout;
    public Preconditions Preconditions { get; } = preconditions;

    /// <summary>Validates arguments at the boundary, on the caller's thread, so the writer only stamps.</summary>
    public static WriteRequest For(WriteKind kind, string key, ReadOnlyMemory<byte> value, Preconditions preconditions)
    {
        StoreKeys.ValidateKey(key);
        var layout = kind == WriteKind.Delete ? default : ObjectBytes.Validate(value.Span);
        return new WriteRequest(kind, key, value, layout, preconditions);
    }

    /// <summary>
    /// Applies this write to <paramref name="current"/> at <paramref name="revision"/>: the event it produces, or
    /// the error it fails with (checked the way upstream's etcd3 store checks, with its messages).
    /// </summary>
    public StoreException? Apply(KeyValue? current, long revision, out WatchEvent result)
    {
        result = default;
        switch (Kind)
        {
            case WriteKind.Create:
                if (current is not null)
                {
                    return new StoreException(StoreErrorCode.KeyExists, $"key {Key} already exists");
                }

                result = new WatchEvent(WatchEventType.Added, new KeyValue(Key, ObjectBytes.Stamp(Value.Span, Layout, revision), revision, revision), null);
                return null;

            case WriteKind.Update:
                {
                    if (current is not { } old)
                    {
                        return new StoreException(StoreErrorCode.NotFound, $"key {Key} not found");
                    }

                    if (Preconditions.ModRevision is { } mod && mod != old.ModRevision)
                    {
                        return new StoreException(StoreErrorCode.Conflict,
                            "the object has been modified; please apply your changes to the latest version and try again");
                    }

                    if (CheckUid(old) is { } uidError)
                    {
                        return uidError;
                    }

                    var kv = new KeyValue(Key, ObjectBytes.Stamp(Value.Span, Layout, revision), old.CreateRevision, revision);
                    result = new WatchEvent(WatchEventType.Modified, kv, old);
                    return null;
                }

            default:
                {
                    if (current is not { } old)
                    {
                        return new StoreException(StoreErrorCode.NotFound, $"key {Key} not found");
                    }

                    if (Preconditions.ModRevision is { } mod && mod != old.ModRevision)
                    {
                        // Upstream (apimachinery storage.Preconditions.Check) wording.
                        return new StoreException(StoreErrorCode.Conflict,
                            $"Precondition failed: ResourceVersion in precondition: {mod}, ResourceVersion in object meta: {old.ModRevision}");
                    }

                    if (CheckUid(old) is { } uidError)
                    {
                        return uidError;
                    }

                    var kv = new KeyValue(Key, ObjectBytes.Stamp(old.Value.Span, revision), old.CreateRevision, revision);
                    result = new WatchEvent(WatchEventType.Deleted, kv, old);
                    return null;
                }
        }
    }

    private StoreException? CheckUid(KeyValue old)
    {
        if (Preconditions.Uid is not { } uid)
        {
            return null;
        }

        var actual = ObjectBytes.ReadUid(old.Value.Span);
        return actual == uid
            ? null
            : new StoreException(StoreErrorCode.Conflict, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}");
    }
}
