using System.Diagnostics;
using System.Globalization;
using System.Net;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.Controllers;
using Berth.Controllers.Client;
using Berth.Controllers.Tests.Fakes;
using Berth.Storage.Sqlite;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// `scripts/bench sts`: StatefulSet rollout to readiness with every controller and the simulated node (readiness
/// immediate). The issue's figures run through the real in-process server: a <see cref="BerthServer"/> on the SQLite
/// store in a temp data dir, and the <see cref="ControllerManager"/> over <see cref="InProcessApiClient"/>, as
/// `berth serve --runtime simulated` composes them. The `_fakeapi` rows run the same controllers against the
/// recording fake of the controller tests (no registry, no store): the difference is what the API path costs.
/// Wall-clock time from the first create call to status.readyReplicas reaching the target on every set.
/// </summary>
internal static class StsBenchmarks
{
    private static readonly (string Name, int Sets, int Replicas, bool Parallel)[] Figures =
    [
        ("sts_ordered_100_ready_s", 1, 100, false),
        ("sts_parallel_1000_ready_s", 1, 1000, true),
        ("sts_1000x3_ready_s", 1000, 3, false),
    ];

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        // BERTH_BENCH_ONLY=name,... narrows the run while iterating on one figure (a `_fakeapi` suffix selects the
        // fake-client row); BERTH_BENCH_STS_FAKE=0 skips the fake-client rows.
        var only = (Environment.GetEnvironmentVariable("BERTH_BENCH_ONLY") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var fake = Environment.GetEnvironmentVariable("BERTH_BENCH_STS_FAKE") != "0";

        // Warm-up (JIT up to tier 1, first JSON contracts, SQLite): the figures are about a running Berth, not a cold
        // process. A profile with only a 2x3 warm-up spent a fifth of the CPU in the JIT and ran most of the pipeline
        // at tier 0.
        await WarmUpAsync(ServerReadyAsync);

        foreach (var (name, sets, replicas, parallel) in Figures)
        {
            if (only.Count == 0 || only.Contains(name))
            {
                Report(name, await ServerReadyAsync(sets, replicas, parallel));
            }
        }

        if (!fake)
        {
            return;
        }

        await WarmUpAsync(FakeReadyAsync);
        foreach (var (name, sets, replicas, parallel) in Figures)
        {
            if (only.Count == 0 || only.Contains(name + "_fakeapi"))
            {
                Report(name + "_fakeapi", await FakeReadyAsync(sets, replicas, parallel));
            }
        }
    }

    private static async Task WarmUpAsync(Func<int, int, bool, Task<TimeSpan>> ready)
    {
        await ready(20, 3, false);
        await ready(1, 300, true);
        await ready(1, 30, false);
    }

    private static void Report(string name, TimeSpan elapsed) =>
        Console.WriteLine($"{name}: {elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");

    /// <summary>Through the real server: BerthServer (SQLite) + ControllerManager over the in-process client.</summary>
    private static async Task<TimeSpan> ServerReadyAsync(int sets, int replicas, bool parallel)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "berth-bench-sts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            await using var server = await BerthServer.StartAsync(new BerthServerOptions
            {
                DataDir = dataDir,
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                OpenStore = async ct => await SqliteStore.OpenAsync(new SqliteStoreOptions { DataDir = dataDir }, ct),
                GarbageCollectorEnabled = true,
                WriteKubeconfig = false,
            });
            var api = InProcessApiClient.For(server);
            await using var manager = new ControllerManager(api, TimeProvider.System, new ControllerManagerOptions { DataDir = dataDir });
            await manager.StartAsync();
            var probe = InProcessApiClient.For(server, "bench");
            using var stop = new CancellationTokenSource();
            var ready = new ReadyCounter(replicas);
            // BERTH_BENCH_STS_WRITES=1 prints the writes per resource and event type (where the store's work goes).
            var writes = Environment.GetEnvironmentVariable("BERTH_BENCH_STS_WRITES") == "1"
                ? CountWritesAsync(server.Registry.Store, stop.Token)
                : Task.FromResult(string.Empty);
            var watching = ready.WatchAsync(probe, server.Registry.Store.CurrentRevision.ToString(CultureInfo.InvariantCulture), stop.Token);
            try
            {
                return await MeasureAsync(manager, sets, replicas, parallel,
                    set => probe.CreateAsync(set),
                    () => Task.FromResult(ready.Count),
                    () => server.Registry.Store.CurrentRevision);
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
                if (await writes is { Length: > 0 } breakdown)
                {
                    Console.Error.WriteLine("  writes: " + breakdown);
                }
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>The same controllers against the recording fake of the controller tests.</summary>
    private static async Task<TimeSpan> FakeReadyAsync(int sets, int replicas, bool parallel)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "berth-bench-sts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            var api = new FakeApiClient(TimeProvider.System) { RecordActions = false };
            await using var manager = new ControllerManager(api, TimeProvider.System, new ControllerManagerOptions { DataDir = dataDir });
            await manager.StartAsync();
            return await MeasureAsync(manager, sets, replicas, parallel,
                set => api.CreateAsync(set),
                () => Task.FromResult(api.All<V1StatefulSet>("default").Count(s => s.Status?.ReadyReplicas == replicas)),
                () => api.ResourceVersion);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<TimeSpan> MeasureAsync(ControllerManager manager, int sets, int replicas, bool parallel,
        Func<V1StatefulSet, Task> create, Func<Task<int>> readySets, Func<long> revision)
    {
        var startRevision = revision();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var syncs = manager.StatefulSetSyncs;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < sets; i++)
        {
            // One volumeClaimTemplate each, as the issue's figures specify.
            await create(TestSets.Web(name: sets == 1 ? "web" : $"web{i}", replicas: replicas, claims: true, parallel: parallel));
        }

        var deadline = TimeSpan.FromMinutes(5);
        while (await readySets() < sets)
        {
            if (stopwatch.Elapsed > deadline)
            {
                throw new TimeoutException($"{sets}x{replicas} not ready after {deadline}");
            }

            await Task.Delay(sets > 1 ? 100 : 10);
        }

        var elapsed = stopwatch.Elapsed;
        // CPU time is printed too: on the shared 2-core VM, wall time depends on the neighbours' load.
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.Error.WriteLine($"  ({sets}x{replicas}: {manager.StatefulSetSyncs - syncs} statefulset syncs, {revision() - startRevision} writes, " +
            $"{cpuUsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s CPU, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        return elapsed;
    }

    private static async Task<string> CountWritesAsync(Storage.IStore store, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        try
        {
            await foreach (var e in store.WatchAsync("/registry/", store.CurrentRevision, cancellationToken))
            {
                var parts = e.Current.Key.Split('/');
                var what = parts[^3] + " " + e.Type;
                counts[what] = counts.GetValueOrDefault(what) + 1;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return string.Join(", ", counts.Select(kv => kv.Key + "=" + kv.Value.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Counts sets at readyReplicas == replicas from a watch (polling a list of 1,000 sets would cost more than it measures).</summary>
    private sealed class ReadyCounter(int replicas)
    {
        private readonly HashSet<string> _ready = new(StringComparer.Ordinal);
        private volatile int _count;

        public int Count => _count;

        public async Task WatchAsync(IApiClient client, string fromRevision, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var e in client.WatchAsync<V1StatefulSet>("default", fromRevision, cancellationToken))
                {
                    if (e.Object.Status?.ReadyReplicas == replicas)
                    {
                        _ready.Add(e.Object.Metadata.Name);
                    }
                    else
                    {
                        _ready.Remove(e.Object.Metadata.Name);
                    }

                    _count = _ready.Count;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }
}
