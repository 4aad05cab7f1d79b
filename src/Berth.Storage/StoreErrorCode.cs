namespace Berth.Storage;

public enum StoreErrorCode
{
    KeyExists,
    NotFound,
    Conflict,
    /// <summary>The revision asked for was compacted away (HTTP 410 Gone upstream).</summary>
    Expired,
    /// <summary>A resourceVersion newer than the store has reached (upstream "Too large resource version").</summary>
    TooLargeResourceVersion,
    InvalidKey,
    InvalidValue,
    InvalidContinue,
    /// <summary>A watcher fell too far behind and was closed so it re-lists.</summary>
    WatcherTooSlow,
    /// <summary>The data dir or database is held by another process.</summary>
    InUse,
    /// <summary>The database file is corrupt or not a Berth database.</summary>
    Corrupt,
    Closed,
}
