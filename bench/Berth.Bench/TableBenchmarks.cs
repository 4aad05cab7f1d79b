using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.ApiServer.Tables;
using Berth.Core;
using Berth.Storage;
using Berth.Storage.Memory;

namespace Berth.Bench;

/// <summary>
/// bench group "table": the Table for 5,000 pods rendered in process (memory store, the pods created through the
/// registry as the api group creates them, so each carries its managedFields entry), without TLS or HTTP: the CPU
/// the Table code itself needs, which does not depend on how much of a shared machine the run got. Figures: median
/// process CPU and allocation per Table, rendered into one buffer (<c>TableWriter.Render</c>, a single object's
/// and a watch event's path) and streamed through a pipe (<c>TableWriter.WriteAsync</c>, a list's path).
/// BERTH_BENCH_SECONDS sets the measured seconds per variant (default 5).
/// </summary>
internal static class TableBenchmarks
{
    private const int Pods = 5000;

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("BERTH_BENCH_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 5;
        await using var store = new MemoryStore();
        var registry = new ObjectRegistry(store, TimeProvider.System, garbageCollectorEnabled: true);
        await registry.EnsureSystemNamespacesAsync(CancellationToken.None);
        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        for (var i = 1; i <= Pods; i++)
        {
            var body = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-" + i.ToString(CultureInfo.InvariantCulture)
                + "\"},\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}");
            await registry.CreateAsync(pods, "default", RequestBody.ParseObject(body, "application/json", "Pod"),
                new WriteOptions { FieldManager = "kubectl-client-side-apply" }, CancellationToken.None);
        }

        var list = await registry.ListAsync(pods, "default", ListOptions.Default, CancellationToken.None);
        var rv = list.Revision.ToString(CultureInfo.InvariantCulture);
        await MeasureAsync("table_render_5k_pods", seconds, () =>
        {
            _ = TableWriter.Render(pods, list.Items.Select(i => i.Value), rv, null, null, "Metadata", includeColumns: true, DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        });
        await MeasureAsync("table_stream_5k_pods", seconds, async () =>
        {
            var sink = PipeWriter.Create(Stream.Null);
            await TableWriter.WriteAsync(sink, pods, list.Items, rv, null, null, "Metadata", DateTimeOffset.UtcNow, "meta.k8s.io/v1",
                CancellationToken.None);
            await sink.CompleteAsync();
        });
    }

    private static async Task MeasureAsync(string name, int seconds, Func<Task> render)
    {
        // Warm-up: past tier-0 and OSR, so the figure is a long-running server's.
        for (var i = 0; i < 40; i++)
        {
            await render();
        }

        var cpu = new List<double>();
        var alloc = new List<double>();
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * seconds;
        while (Stopwatch.GetTimestamp() < until)
        {
            var bytes = GC.GetTotalAllocatedBytes(precise: false);
            var before = Environment.CpuUsage.TotalTime;
            await render();
            cpu.Add((Environment.CpuUsage.TotalTime - before).TotalMilliseconds);
            alloc.Add((GC.GetTotalAllocatedBytes(precise: false) - bytes) / 1024.0);
        }

        Report(name + "_cpu_ms", Median(cpu), "ms");
        Report(name + "_alloc_kb", Median(alloc), "KiB");
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.##} {unit}"));
}
