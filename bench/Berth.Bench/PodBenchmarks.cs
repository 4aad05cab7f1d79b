using System.Diagnostics;
using System.Globalization;
using System.Net;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.Cli;
using Berth.Controllers;
using Berth.Controllers.Client;
using Berth.Storage.Memory;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// scripts/bench pod, through the real node (API server, controllers and the node agent on the sandbox runtime, in
/// this process, as `berth serve` composes them):
/// <list type="bullet">
/// <item><c>pod_start_p50_ms</c>/<c>p99</c>: a busybox `sleep` pod created → observed Running (scheduling, sandbox,
/// container start and the status write), 100 pods one after the other;</item>
/// <item><c>pod_overhead_rss_mb</c>: Berth's own resident memory per running pod;</item>
/// <item><c>nginx_sts3_ready_s</c>: a 3-replica OrderedReady nginx StatefulSet with a claim per pod and a 1 s
/// readiness probe, created → 3/3 Ready.</item>
/// </list>
/// </summary>
internal static class PodBenchmarks
{
    private const int Pods = 100;
    private const string Ns = "bench";

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var dataDir = Path.Combine(Path.GetTempPath(), $"berth-bench-pod-{Environment.ProcessId}");
        Directory.CreateDirectory(dataDir);
        var server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult<Storage.IStore>(new MemoryStore()),
            GarbageCollectorEnabled = true,
            WriteKubeconfig = false,
        });
        var client = InProcessApiClient.For(server);
        var controllers = new ControllerManager(client, TimeProvider.System, new ControllerManagerOptions { DataDir = dataDir, SimulatedNode = false });
        SandboxNode? node = null;
        try
        {
            await controllers.StartAsync();
            node = await SandboxNode.StartAsync(server, dataDir, CancellationToken.None, podCidr: "10.90.0.0/16");
            await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Ns } });

            // Warm-up (JIT, page cache, first namespaces), not measured.
            for (var i = 0; i < 5; i++)
            {
                await StartPodAsync(client, $"warm-{i}");
            }

            await DeleteAllPodsAsync(client);
            var baseline = StableRss();
            var times = new List<double>(Pods);
            for (var i = 0; i < Pods; i++)
            {
                times.Add(await StartPodAsync(client, $"sleep-{i}"));
            }

            var loaded = StableRss();
            times.Sort();
            Console.WriteLine(FormattableString.Invariant($"pod_start_p50_ms: {Percentile(times, 0.50):F1} ms"));
            Console.WriteLine(FormattableString.Invariant($"pod_start_p99_ms: {Percentile(times, 0.99):F1} ms"));
            Console.WriteLine(FormattableString.Invariant($"pod_overhead_rss_mb: {(loaded - baseline) / 1024.0 / 1024.0 / Pods:F3} MB"));
            await DeleteAllPodsAsync(client);

            Console.WriteLine(FormattableString.Invariant($"nginx_sts3_ready_s: {await NginxStatefulSetAsync(client):F2} s"));
        }
        finally
        {
            await controllers.DisposeAsync();
            if (node is not null)
            {
                await node.DisposeAsync();
            }

            await server.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Creates one pod and returns the milliseconds until the API shows it Running.</summary>
    private static async Task<double> StartPodAsync(IApiClient client, string name)
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
            Spec = new V1PodSpec
            {
                TerminationGracePeriodSeconds = 0,
                Containers = [new V1Container { Name = "main", Image = "busybox:1.36", Command = ["sleep", "3600"] }],
            },
        };
        var sw = Stopwatch.StartNew();
        var created = await client.CreateAsync(pod);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in client.WatchAsync<V1Pod>(Ns, created.Metadata.ResourceVersion, timeout.Token))
        {
            if (e.Object.Metadata.Name == name && e.Object.Status?.Phase == "Running")
            {
                return sw.Elapsed.TotalMilliseconds;
            }
        }

        throw new InvalidOperationException($"pod {name} did not reach Running");
    }

    private static async Task DeleteAllPodsAsync(IApiClient client)
    {
        var pods = await client.ListAsync<V1Pod>(Ns);
        foreach (var p in pods.Items)
        {
            await client.DeleteAsync<V1Pod>(Ns, p.Metadata.Name, new V1DeleteOptions { GracePeriodSeconds = 0 });
        }

        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((await client.ListAsync<V1Pod>(Ns)).Items.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Seconds from creating the seed-style nginx StatefulSet (OrderedReady, a claim per pod) to 3/3 Ready.</summary>
    private static async Task<double> NginxStatefulSetAsync(IApiClient client)
    {
        var labels = new Dictionary<string, string> { ["app"] = "nginx" };
        await client.CreateAsync(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = "nginx", NamespaceProperty = Ns },
            Spec = new V1ServiceSpec { ClusterIP = "None", Selector = labels, Ports = [new V1ServicePort { Port = 80, Name = "web" }] },
        });
        var sts = new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = Ns },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = "nginx",
                Replicas = 3,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "nginx",
                                Image = "nginx:1.25",
                                Ports = [new V1ContainerPort { ContainerPort = 80, Name = "web" }],
                                // The image's own docroot answers the probe; the claim holds data beside it.
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/", Port = "web" }, PeriodSeconds = 1 },
                                VolumeMounts = [new V1VolumeMount { Name = "www", MountPath = "/data" }],
                            },
                        ],
                    },
                },
                VolumeClaimTemplates =
                [
                    new V1PersistentVolumeClaim
                    {
                        Metadata = new V1ObjectMeta { Name = "www" },
                        Spec = new V1PersistentVolumeClaimSpec
                        {
                            AccessModes = ["ReadWriteOnce"],
                            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                        },
                    },
                ],
            },
        };
        var sw = Stopwatch.StartNew();
        var created = await client.CreateAsync(sts);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await foreach (var e in client.WatchAsync<V1StatefulSet>(Ns, created.Metadata.ResourceVersion, timeout.Token))
        {
            if (e.Object.Status?.ReadyReplicas == 3)
            {
                return sw.Elapsed.TotalSeconds;
            }
        }

        throw new InvalidOperationException("the nginx StatefulSet did not become 3/3 Ready");
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
