using System.Diagnostics;
using System.Globalization;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// scripts/bench pod: sandboxed pod start latency (sandbox created → payload running, the part of "pod created
/// to Running" the node owns) for 100 busybox `sleep` pods, and Berth's own resident memory per running pod.
/// </summary>
internal static class PodBenchmarks
{
    private const int Pods = 100;

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var state = Path.Combine(Path.GetTempPath(), $"berth-bench-pod-{Environment.ProcessId}");
        var runtime = await SandboxRuntime.CreateAsync(new SandboxRuntimeOptions { StateDirectory = state, PodCidr = "10.90.0.0/16" });
        var sandboxes = new List<PodSandbox>();
        try
        {
            // Warm-up (JIT, page cache, first netns), not measured.
            for (var i = 0; i < 5; i++)
            {
                var (sb, _) = await StartAsync(runtime, $"warm-{i}");
                await runtime.RemovePodSandboxAsync(sb, CancellationToken.None);
            }

            var baseline = StableRss();
            var times = new List<double>(Pods);
            for (var i = 0; i < Pods; i++)
            {
                var (sb, ms) = await StartAsync(runtime, $"sleep-{i}");
                sandboxes.Add(sb);
                times.Add(ms);
            }

            var loaded = StableRss();
            times.Sort();
            Console.WriteLine(FormattableString.Invariant($"pod_start_p50_ms: {Percentile(times, 0.50):F1} ms"));
            Console.WriteLine(FormattableString.Invariant($"pod_start_p99_ms: {Percentile(times, 0.99):F1} ms"));
            Console.WriteLine(FormattableString.Invariant($"pod_overhead_rss_mb: {(loaded - baseline) / 1024.0 / 1024.0 / Pods:F3} MB"));
        }
        finally
        {
            foreach (var sb in sandboxes)
            {
                await runtime.RemovePodSandboxAsync(sb, CancellationToken.None);
            }

            await runtime.DisposeAsync();
            Directory.Delete(state, recursive: true);
        }
    }

    private static async Task<(PodSandbox Sandbox, double Ms)> StartAsync(SandboxRuntime runtime, string name)
    {
        var container = new V1Container { Name = "main", Image = "busybox:1.36", Command = ["sleep", "3600"] };
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "bench", Uid = Guid.NewGuid().ToString() },
            Spec = new V1PodSpec { Containers = [container] },
        };
        var sw = Stopwatch.StartNew();
        var sandbox = await runtime.RunPodSandboxAsync(pod, new Dictionary<string, string>(), CancellationToken.None);
        var sandboxMs = sw.Elapsed.TotalMilliseconds;
        var process = await runtime.StartContainerAsync(sandbox, container, [], 0, CancellationToken.None);
        var ms = sw.Elapsed.TotalMilliseconds;
        if (Environment.GetEnvironmentVariable("BERTH_BENCH_VERBOSE") == "1")
        {
            Console.Error.WriteLine(FormattableString.Invariant($"{name}: sandbox {sandboxMs:F1} ms, container {ms - sandboxMs:F1} ms"));
        }
        if (process.PayloadPid == 0)
        {
            throw new InvalidOperationException($"pod {name} did not reach running");
        }

        return (sandbox, ms);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>VmRSS after a full collection, so garbage does not count as per-pod cost.</summary>
    private static long StableRss()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Thread.Sleep(200);
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
