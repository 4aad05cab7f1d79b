
namespace Berth.Storage.Tests;

internal static class StoreAssert
{
    public static async Task<StoreException> FailsAsync(StoreErrorCode code, Func<ValueTask> action)
    {
        var e = await Assert.ThrowsAsync<StoreException>(async () => await action());
        Assert.Equal(code, e.Code);
        return e;
    }

    public static Task<StoreException> FailsAsync<T>(StoreErrorCode code, Func<ValueTask<T>> action) =>
        FailsAsync(code, async () => { await action(); });

    /// <summary>Collects watch events until one at <paramref name="through"/> (or a timeout, which fails the test).</summary>
    public static async Task<List<WatchEvent>> CollectAsync(IStore store, string prefix, long from, long through, int timeoutMs = 5000)
    {
        var events = new List<WatchEvent>();
        if (through <= from)
        {
            return events;
        }

        using var cts = new CancellationTokenSource(timeoutMs);
        await foreach (var e in store.WatchAsync(prefix, from, cts.Token))
        {
            events.Add(e);
            if (e.Revision >= through)
            {
                break;
            }
        }

        return events;
    }
}
