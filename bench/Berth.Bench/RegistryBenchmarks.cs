using System.Diagnostics;
using System.Globalization;
using System.Text;
using Berth.ApiServer.Admission;
using Berth.ApiServer.Client;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Serialization.Patching.Apply;
using Berth.Storage.Memory;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// scripts/bench registry: the API server's write pipeline in process, without HTTP or SQLite (memory store):
/// microseconds and bytes allocated per write of a pod's life in <c>berth serve --runtime simulated</c>: the create
/// (from the request body's bytes to the stored object, recorded for a User-Agent field manager), the scheduler's
/// binding and the simulated node's status write (both through <see cref="InProcessApiClient"/>, decoding the stored
/// object as the controllers' informers do). It is the part of api_create_ops_per_s that Berth's own code decides,
/// measured on one thread, so the CPU figures move with the code and not with how busy the machine is. The create_fields
/// phases time the creator's managedFields entry alone: the general path on a JSON tree (create_fields_tree) and the
/// create path the registry takes (create_fields).
/// BERTH_BENCH_SECONDS sets the measured seconds (default 3), for profiling runs.
/// </summary>
internal static class RegistryBenchmarks
{
    private const int Batch = 200;

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("BERTH_BENCH_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 3;
        await using var store = new MemoryStore();
        var registry = new ObjectRegistry(store, TimeProvider.System, garbageCollectorEnabled: true);
        await registry.EnsureSystemNamespacesAsync(CancellationToken.None);
        var scheduler = new InProcessApiClient(registry, "berth-scheduler");
        var kubelet = new InProcessApiClient(registry, "berth-simulated-node");
        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        var n = 0;
        var names = new Queue<string>();
        var bound = new Queue<string>();

        async Task CreateOneAsync()
        {
            var name = "pod-" + (n++).ToString(CultureInfo.InvariantCulture);
            var body = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name
                + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}");
            var parsed = RequestBody.ParseObject(body, "application/json", "Pod");
            await registry.CreateAsync(pods, "default", parsed, new WriteOptions { FieldManager = "bench" }, CancellationToken.None);
            names.Enqueue(name);
        }

        async Task BindOneAsync()
        {
            var name = names.Dequeue();
            await scheduler.BindAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
                Target = new V1ObjectReference { Kind = "Node", Name = "berth" },
            });
            bound.Enqueue(name);
        }

        async Task StatusOneAsync()
        {
            // What the simulated node does with the pod its informer decoded: a Running status, PUT to pods/status.
            var pod = (await kubelet.GetAsync<V1Pod>("default", bound.Dequeue()))!;
            var now = DateTime.UtcNow;
            pod.Status.Phase = "Running";
            pod.Status.HostIP = "127.0.0.1";
            pod.Status.PodIP = "10.0.0.2";
            pod.Status.StartTime = now;
            pod.Status.Conditions = [.. pod.Status.Conditions ?? [], new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = now }];
            pod.Status.ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "c", Image = "nginx:1.25", ImageID = "", Ready = true, Started = true, RestartCount = 0,
                    State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = now } },
                },
            ];
            await kubelet.UpdateStatusAsync(pod);
        }

        // The creator's managedFields entry alone, for the pod the create records (decoded and defaulted): the general
        // path (the model encoded to a JSON tree, RecordUpdateEntries) beside the create path, in the same rounds so
        // both see the same load.
        var createdPod = (V1Pod)ModelCodec.Decode(pods, Encoding.UTF8.GetBytes(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod-x\",\"namespace\":\"default\",\"labels\":{\"app\":\"bench\"}},"
            + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]},\"status\":{\"phase\":\"Pending\",\"qosClass\":\"BestEffort\"}}"));
        ObjectDefaulter.Default(createdPod);

        Task FieldsTreeOne()
        {
            var tree = ModelCodec.Encode(pods, createdPod);
            tree["apiVersion"] = pods.ApiVersion;
            tree["kind"] = pods.Kind;
            _ = ServerSideApply.RecordUpdateEntries(null, tree, "bench", pods.ModelType, DateTime.UtcNow);
            return Task.CompletedTask;
        }

        Task FieldsOne()
        {
            _ = ServerSideApply.TryRecordCreateEntries(createdPod, pods.ModelType, pods.ApiVersion, "bench", DateTime.UtcNow, out _);
            return Task.CompletedTask;
        }

        // Warm-up (JIT to tier 1), then rounds of one batch per phase.
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
        while (Stopwatch.GetTimestamp() < until)
        {
            await CreateOneAsync();
            await BindOneAsync();
            await StatusOneAsync();
            await FieldsTreeOne();
            await FieldsOne();
        }

        var phases = new (string Name, Func<Task> Run, List<double> Wall, List<double> Cpu, List<double> Alloc)[]
        {
            ("create", CreateOneAsync, [], [], []),
            ("bind", BindOneAsync, [], [], []),
            ("status", StatusOneAsync, [], [], []),
            ("create_fields_tree", FieldsTreeOne, [], [], []),
            ("create_fields", FieldsOne, [], [], []),
        };
        until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * seconds;
        while (Stopwatch.GetTimestamp() < until)
        {
            foreach (var phase in phases)
            {
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var cpu = Environment.CpuUsage.TotalTime;
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < Batch; i++)
                {
                    await phase.Run();
                }

                phase.Wall.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / Batch);
                phase.Cpu.Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / Batch);
                phase.Alloc.Add((GC.GetAllocatedBytesForCurrentThread() - bytes) / 1024.0 / Batch);
            }
        }

        foreach (var (name, _, wall, cpu, alloc) in phases)
        {
            Report($"registry_{name}_pod_us", Median(wall), "us");
            // Process CPU time (GC threads included) per write: steadier than wall time on a shared machine.
            Report($"registry_{name}_pod_cpu_us", Median(cpu), "us");
            Report($"registry_{name}_pod_alloc_kb", Median(alloc), "KiB");
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.##} {unit}"));
}
