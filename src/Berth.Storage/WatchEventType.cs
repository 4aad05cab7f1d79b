namespace Berth.Storage;

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}
