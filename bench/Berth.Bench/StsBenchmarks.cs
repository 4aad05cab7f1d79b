using System.Diagnostics;
using System.Globalization;
using Berth.Controllers;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// `scripts/bench sts`: StatefulSet rollout to readiness with every controller and the simulated node, against the
/// in-memory fake API of the controller tests (the in-process API server is not wired in yet). Wall-clock time
/// from the create call to status.readyReplicas reaching the target.
/// </summary>
internal static class StsBenchmarks
{
    public static async Task RunAsync(string[] args)
    {
        // BERTH_BENCH_ONLY=name,... narrows the run while iterating on one figure.
        var only = (Environment.GetEnvironmentVariable("BERTH_BENCH_ONLY") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

        // Warm-up (JIT, first JSON contracts): the figures are about a running Berth, not a cold process.
        await ReadyAsync(2, 3, parallel: false);

        if (only.Count == 0 || only.Contains("sts_ordered_100_ready_s"))
        {
            Report("sts_ordered_100_ready_s", await ReadyAsync(1, 100, parallel: false));
        }

        if (only.Count == 0 || only.Contains("sts_parallel_1000_ready_s"))
        {
            Report("sts_parallel_1000_ready_s", await ReadyAsync(1, 1000, parallel: true));
        }

        if (only.Count == 0 || only.Contains("sts_1000x3_ready_s"))
        {
            Report("sts_1000x3_ready_s", await ReadyAsync(1000, 3, parallel: false));
        }
    }

    private static void Report(string name, TimeSpan elapsed) =>
        Console.WriteLine($"{name}: {elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");

    private static async Task<TimeSpan> ReadyAsync(int sets, int replicas, bool parallel)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "berth-bench-sts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            var api = new FakeApiClient(TimeProvider.System) { RecordActions = false };
            await using var manager = new ControllerManager(api, TimeProvider.System, new ControllerManagerOptions { DataDir = dataDir });
            await manager.StartAsync();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < sets; i++)
            {
                // One volumeClaimTemplate each, as the issue's figures specify.
                await api.CreateAsync(TestSets.Web(name: sets == 1 ? "web" : $"web{i}", replicas: replicas, claims: true, parallel: parallel));
            }

            var deadline = TimeSpan.FromMinutes(3);
            while (api.All<V1StatefulSet>("default").Count(s => s.Status?.ReadyReplicas == replicas) < sets)
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
            Console.Error.WriteLine($"  ({sets}x{replicas}: {manager.StatefulSetSyncs} statefulset syncs, {api.ResourceVersion} writes, " +
                $"{cpuUsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s CPU, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            return elapsed;
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
