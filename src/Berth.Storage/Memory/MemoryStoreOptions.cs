namespace Berth.Storage.Memory;

public sealed record MemoryStoreOptions
{
    /// <summary>Events kept for watches and lists at older revisions; older ones are compacted away.</summary>
    public int HistoryCapacity { get; init; } = 16 * 1024;

    /// <summary>Events a watcher may fall behind before it is closed with WatcherTooSlow.</summary>
    public int WatcherBufferSize { get; init; } = 1024;

    /// <summary>How long a list or watch waits for a resourceVersion the store has not reached (upstream: 3 s).</summary>
    public TimeSpan TooLargeResourceVersionWait { get; init; } = TimeSpan.FromSeconds(3);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
