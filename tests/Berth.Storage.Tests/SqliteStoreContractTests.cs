using Berth.Storage.Sqlite;

namespace Berth.Storage.Tests;

public sealed class SqliteStoreContractTests : StoreContractTests, IDisposable
{
    private readonly List<TempDir> _dirs = [];

    protected override async ValueTask<IStore> OpenAsync(StoreTestOptions options)
    {
        var dir = new TempDir();
        _dirs.Add(dir);
        return await SqliteStore.OpenAsync(new SqliteStoreOptions
        {
            DataDir = dir.Path,
            TimeProvider = options.TimeProvider,
            WatcherBufferSize = options.WatcherBufferSize,
            CacheHistory = options.CacheHistory,
            TooLargeResourceVersionWait = options.TooLargeWait,
            CompactionCheckInterval = TimeSpan.Zero,
        });
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
        {
            dir.Dispose();
        }
    }
}
