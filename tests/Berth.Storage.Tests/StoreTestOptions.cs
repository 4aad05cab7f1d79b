namespace Berth.Storage.Tests;

/// <summary>Knobs a contract test may turn; each backend maps them onto its own options.</summary>
public sealed record StoreTestOptions
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    public int WatcherBufferSize { get; init; } = 1024;

    /// <summary>Events the watch cache keeps; small values push reads into the backend's own history.</summary>
    public int CacheHistory { get; init; } = 1024;

    public TimeSpan TooLargeWait { get; init; } = TimeSpan.FromSeconds(3);
}
