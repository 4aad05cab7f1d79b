namespace Berth.Storage.Cache;

/// <summary>What a watcher should do next while it catches up with the cache.</summary>
internal enum CatchUpResult
{
    /// <summary>Events were copied; call again from the new position.</summary>
    Events,

    /// <summary>The watcher is now live on the cache's broadcast.</summary>
    Registered,

    /// <summary>The position is older than the cache's history; read the backend's history up to the cache floor.</summary>
    BeforeFloor,
}
