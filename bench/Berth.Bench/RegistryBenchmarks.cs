using System.Diagnostics;
using System.Globalization;
using System.Text;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Storage.Memory;

namespace Berth.Bench;

/// <summary>
/// scripts/bench registry: the API server's write pipeline in process, without HTTP or SQLite (memory store):
/// microseconds and bytes allocated per pod create, from the request body's bytes to the stored object. It is
/// the part of api_create_ops_per_s that Berth's own code decides, measured on one thread, so the figure moves
/// only with the code and not with how busy the machine is.
/// </summary>
internal static class RegistryBenchmarks
{
    private const int Batch = 200;

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        await using var store = new MemoryStore();
        var registry = new ObjectRegistry(store, TimeProvider.System, garbageCollectorEnabled: true);
        await registry.EnsureSystemNamespacesAsync(CancellationToken.None);
        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        var n = 0;

        async Task CreateOneAsync()
        {
            var name = "pod-" + (n++).ToString(CultureInfo.InvariantCulture);
            var body = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name
                + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}");
            var parsed = RequestBody.ParseObject(body, "application/json", "Pod");
            await registry.CreateAsync(pods, "default", parsed, new WriteOptions { FieldManager = "bench" }, CancellationToken.None);
        }

        // Warm-up (JIT to tier 1), then batches for one second each round.
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
        while (Stopwatch.GetTimestamp() < until)
        {
            await CreateOneAsync();
        }

        var perOp = new List<double>();
        var cpuPerOp = new List<double>();
        var allocated = new List<double>();
        until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 3;
        while (Stopwatch.GetTimestamp() < until)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Batch; i++)
            {
                await CreateOneAsync();
            }

            perOp.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / Batch);
            cpuPerOp.Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / Batch);
            allocated.Add((GC.GetAllocatedBytesForCurrentThread() - bytes) / 1024.0 / Batch);
        }

        perOp.Sort();
        cpuPerOp.Sort();
        allocated.Sort();
        Report("registry_create_pod_us", perOp[perOp.Count / 2], "us");
        // Process CPU time (GC threads included) per create: steadier than wall time on a shared machine.
        Report("registry_create_pod_cpu_us", cpuPerOp[cpuPerOp.Count / 2], "us");
        Report("registry_create_pod_alloc_kb", allocated[allocated.Count / 2], "KiB");
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.##} {unit}"));
}
