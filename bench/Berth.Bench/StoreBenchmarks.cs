using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Berth.Storage;
using Berth.Storage.Sqlite;

namespace Berth.Bench;

/// <summary>
/// Issue 2's storage figures, measured on the SQLite backend (the default) with default durability:
/// store_write_ops_per_s, store_watch_p99_ms, store_list_10k_ms, store_rss_mb_100k. Load generators, not
/// BenchmarkDotNet: these are throughput and latency-distribution figures of a running store.
/// </summary>
internal static class StoreBenchmarks
{
    private const string ChildVariable = "BERTH_BENCH_STORE_CHILD";

    public static async Task RunAsync(string[] args)
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is { } child)
        {
            await RssChildAsync(child).ConfigureAwait(false);
            return;
        }

        await WriteThroughputAsync(SqliteDurability.Normal).ConfigureAwait(false);
        await WriteThroughputAsync(SqliteDurability.Full).ConfigureAwait(false);
        await WatchLatencyAsync().ConfigureAwait(false);
        await ListAsync().ConfigureAwait(false);
        await RssAsync().ConfigureAwait(false);
    }

    /// <summary>A ConfigMap-shaped object of about 1 KiB.</summary>
    internal static byte[] Object(string name)
    {
        var head = $"{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"bench\",\"uid\":\"{Guid.NewGuid()}\",\"labels\":{{\"app\":\"bench\"}}}},\"data\":{{\"payload\":\"";
        const string Tail = "\"}}";
        return Encoding.UTF8.GetBytes(head + new string('x', 1024 - head.Length - Tail.Length) + Tail);
    }

    private static async Task<(SqliteStore Store, string Dir)> OpenAsync(SqliteDurability durability = SqliteDurability.Normal)
    {
        var dir = Directory.CreateTempSubdirectory("berth-bench-store-").FullName;
        return (await SqliteStore.OpenAsync(new SqliteStoreOptions { DataDir = dir, Durability = durability }).ConfigureAwait(false), dir);
    }

    private static async Task CloseAsync(SqliteStore store, string dir)
    {
        await store.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// 64 concurrent writers creating 1 KiB objects as fast as acknowledgements come back. Also reports the
    /// process CPU time per acknowledged write (writers' own work included), which does not depend on how much
    /// of the shared machine the run happened to get.
    /// </summary>
    private static async Task WriteThroughputAsync(SqliteDurability durability)
    {
        var suffix = durability == SqliteDurability.Normal ? "" : "_full";
        var (store, dir) = await OpenAsync(durability).ConfigureAwait(false);
        var values = Enumerable.Range(0, 64).Select(w => Object($"w{w}")).ToArray();
        long acked = 0;
        var measuring = false;
        var stop = false;
        var writers = Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !Volatile.Read(ref stop); i++)
            {
                await store.CreateAsync($"/registry/configmaps/bench/w{w}-{i}", values[w]).ConfigureAwait(false);
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref acked);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // warm-up: JIT, page cache, WAL growth
        var clock = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var commits0 = store.CommitCount;
        Volatile.Write(ref measuring, true);
        await Task.Delay(TimeSpan.FromSeconds(8)).ConfigureAwait(false);
        Volatile.Write(ref measuring, false);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var commits = store.CommitCount - commits0;
        var elapsed = clock.Elapsed.TotalSeconds;
        var count = Interlocked.Read(ref acked);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(writers).ConfigureAwait(false);
        Print("store_write_ops_per_s" + suffix, count / elapsed, "ops/s");
        Print("store_write_cpu_us_per_op" + suffix, cpu.TotalMicroseconds / count, "us");
        Print("store_write_per_commit" + suffix, count / (double)Math.Max(1, commits), "writes");
        await CloseAsync(store, dir).ConfigureAwait(false);
    }

    /// <summary>
    /// 100 watchers of one prefix while one writer paces 2,000 writes/s. Latency runs from the moment the write
    /// is handed to the store to the moment each watcher receives the event, so it includes queueing and the
    /// commit itself: an upper bound on commit-to-watcher.
    /// </summary>
    private static async Task WatchLatencyAsync()
    {
        const int Watchers = 100;
        const int Rate = 2000;
        const int Seconds = 8;
        var (store, dir) = await OpenAsync().ConfigureAwait(false);
        var started = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var samples = new List<double>[Watchers];
        using var cts = new CancellationTokenSource();
        var watchers = new Task[Watchers];
        for (var w = 0; w < Watchers; w++)
        {
            var mine = samples[w] = new List<double>(Rate * Seconds);
            watchers[w] = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in store.WatchAsync("/registry/configmaps/bench/", 0, cts.Token).ConfigureAwait(false))
                    {
                        var now = Stopwatch.GetTimestamp();
                        if (started.TryGetValue(e.Current.Key, out var t0))
                        {
                            mine.Add(Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        while (WatcherCount(store) < Watchers)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        var value = Object("paced");
        var total = Rate * Seconds;
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            // Pace against the wall clock so a hiccup is caught up, not silently dropped from the rate.
            var due = TimeSpan.FromSeconds((double)i / Rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            var key = $"/registry/configmaps/bench/p{i}";
            started[key] = Stopwatch.GetTimestamp();
            pending.Add(store.CreateAsync(key, value).AsTask());
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        await Task.Delay(500).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(watchers).ConfigureAwait(false);
        var all = samples.SelectMany(s => s).Order().ToArray();
        var delivered = all.Length;
        Print("store_watch_p50_ms", Percentile(all, 0.50), "ms");
        Print("store_watch_p99_ms", Percentile(all, 0.99), "ms");
        Print("store_watch_delivered_fraction", delivered / (double)(total * Watchers), "");
        await CloseAsync(store, dir).ConfigureAwait(false);
    }

    /// <summary>A consistent list (resourceVersion "") of 10,000 objects of one prefix, among 20,000.</summary>
    private static async Task ListAsync()
    {
        var (store, dir) = await OpenAsync().ConfigureAwait(false);
        await FillAsync(store, "/registry/configmaps/bench/", 10_000).ConfigureAwait(false);
        await FillAsync(store, "/registry/configmaps/other/", 10_000).ConfigureAwait(false);
        var times = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var clock = Stopwatch.StartNew();
            var list = await store.ListAsync("/registry/configmaps/bench/", ListOptions.Default).ConfigureAwait(false);
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (list.Items.Count != 10_000)
            {
                throw new InvalidOperationException($"listed {list.Items.Count} objects, expected 10000");
            }
        }

        var sorted = times.Skip(5).Order().ToArray();
        Print("store_list_10k_ms", Percentile(sorted, 0.5), "ms");
        Print("store_list_10k_p99_ms", Percentile(sorted, 0.99), "ms");
        await CloseAsync(store, dir).ConfigureAwait(false);
    }

    /// <summary>
    /// RSS of a fresh process that opened a store holding 100,000 objects of 1 KiB (the state the cache loads
    /// at startup), next to the same process shape with an empty store; and how long that open took.
    /// </summary>
    private static async Task RssAsync()
    {
        var dir = Directory.CreateTempSubdirectory("berth-bench-rss-").FullName;
        try
        {
            await using (var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { DataDir = dir }).ConfigureAwait(false))
            {
                await FillAsync(store, "/registry/configmaps/bench/", 100_000).ConfigureAwait(false);
            }

            var empty = Directory.CreateTempSubdirectory("berth-bench-rss-empty-").FullName;
            try
            {
                Print("store_rss_mb_empty", (await RunChildAsync(empty).ConfigureAwait(false)).Rss, "MB");
            }
            finally
            {
                Directory.Delete(empty, recursive: true);
            }

            var (rss, openMs) = await RunChildAsync(dir).ConfigureAwait(false);
            Print("store_rss_mb_100k", rss, "MB");
            Print("store_open_ms_100k", openMs, "ms");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double Rss, double OpenMs)> RunChildAsync(string dir)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(typeof(StoreBenchmarks).Assembly.Location);
        }

        info.ArgumentList.Add("store");
        info.Environment[ChildVariable] = dir;
        using var child = Process.Start(info)!;
        var output = await child.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await child.WaitForExitAsync().ConfigureAwait(false);
        var parts = output.Trim().Split(' ');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static async Task RssChildAsync(string dir)
    {
        var clock = Stopwatch.StartNew();
        await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { DataDir = dir }).ConfigureAwait(false);
        var openMs = clock.Elapsed.TotalMilliseconds;
        var list = await store.ListAsync("/registry/", ListOptions.Default).ConfigureAwait(false);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var rss = ReadRssBytes() / (1024.0 * 1024.0);
        GC.KeepAlive(list);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rss:F1} {openMs:F0}"));
    }

    private static long ReadRssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return Environment.WorkingSet;
    }

    private static async Task FillAsync(SqliteStore store, string prefix, int count)
    {
        var value = Object("fill");
        var next = -1;
        var writers = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await store.CreateAsync($"{prefix}o{i:D6}", value).ConfigureAwait(false);
            }
        }));
        await Task.WhenAll(writers).ConfigureAwait(false);
    }

    private static int WatcherCount(SqliteStore store) => store.WatcherCount;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.##} {unit}").TrimEnd());
}
