using Berth.Storage.Memory;

namespace Berth.Storage.Tests;

public sealed class MemoryStoreContractTests : StoreContractTests
{
    protected override ValueTask<IStore> OpenAsync(StoreTestOptions options) =>
        ValueTask.FromResult<IStore>(new MemoryStore(new MemoryStoreOptions
        {
            TimeProvider = options.TimeProvider,
            WatcherBufferSize = options.WatcherBufferSize,
            // The memory store's history is its cache ring; keep enough for the contract's watch-from-any-revision.
            HistoryCapacity = Math.Max(options.CacheHistory, 4096),
            TooLargeResourceVersionWait = options.TooLargeWait,
        }));
}
