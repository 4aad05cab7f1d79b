namespace Berth.Storage;

/// <summary>
/// One change. <see cref="Current"/> is the new value (for Deleted: the last value stamped with the delete's
/// revision); <see cref="Previous"/> is the value before the change (null for Added), which the API server
/// needs to turn selector transitions into ADDED/DELETED events as upstream does.
/// </summary>
public readonly record struct WatchEvent(WatchEventType Type, KeyValue Current, KeyValue? Previous)
{
    public long Revision => Current.ModRevision;
}
