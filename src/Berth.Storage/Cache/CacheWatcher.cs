using System.Threading.Channels;

namespace Berth.Storage.Cache;

/// <summary>
/// One live watcher: a bounded queue the publisher only ever TryWrites to. When it is full the watcher is
/// closed with WatcherTooSlow, like upstream's cacheWatcher that is terminated when its input channel stays
/// full (the client re-lists), and like kine's broadcaster that drops a subscriber with a full channel.
/// </summary>
internal sealed class CacheWatcher(string prefix, int capacity)
{
    public string Prefix { get; } = prefix;

    public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
}
