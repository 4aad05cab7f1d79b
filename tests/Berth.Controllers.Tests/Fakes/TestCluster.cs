using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.Controllers.Client;
using Berth.Controllers.Simulation;
using Berth.Controllers.Tests.Scenarios;
using Berth.Storage;
using Berth.Storage.Memory;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Controllers.Tests.Fakes;

/// <summary>
/// One test's world: the fake API, a fake clock, every controller and the simulated node, and a temp data dir.
/// Waiting polls the fake API and advances the fake clock in small steps so backoffs and delays elapse.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(ITestApi api, FakeTimeProvider time, ControllerManager manager, string dataDir, BerthServer? server = null)
    {
        Api = api;
        Time = time;
        Manager = manager;
        DataDir = dataDir;
        Server = server;
    }

    /// <summary>The API under the controllers: the in-memory fake, or the real in-process server.</summary>
    public ITestApi Api { get; }

    /// <summary>The fake's extras (reactors, compaction, closing watches); only on the fake.</summary>
    public FakeApiClient FakeApi => Api as FakeApiClient ?? throw new InvalidOperationException("this cluster runs on the real server");

    /// <summary>The real in-process server (HTTP included) when the cluster runs on one; null on the fake.</summary>
    public BerthServer? Server { get; }

    public FakeTimeProvider Time { get; }

    public ControllerManager Manager { get; }

    public string DataDir { get; }

    public string VolumesDir => Path.Combine(DataDir, "volumes");

    /// <summary>How much fake time passes per poll while waiting.</summary>
    public TimeSpan Step { get; set; } = TimeSpan.FromMilliseconds(100);

    public static async Task<TestCluster> StartAsync(SimulatedNodeOptions? simulation = null, Action<FakeApiClient>? setup = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var api = new FakeApiClient(time);
        setup?.Invoke(api);
        var dataDir = Path.Combine(Path.GetTempPath(), "berth-ctl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var manager = new ControllerManager(api, time, new ControllerManagerOptions
        {
            DataDir = dataDir,
            Simulation = simulation ?? new SimulatedNodeOptions(),
        });
        await manager.StartAsync();
        return new TestCluster(api, time, manager, dataDir);
    }

    /// <summary>
    /// The same world over a real in-process <see cref="BerthServer"/> (memory store, the registry pipeline with
    /// defaulting, validation, admission, conflicts and graceful deletion) on the same fake clock, the controllers
    /// reaching it through <see cref="InProcessApiClient"/> as in `berth serve`.
    /// </summary>
    public static async Task<TestCluster> StartOnServerAsync(SimulatedNodeOptions? simulation = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var dataDir = Path.Combine(Path.GetTempPath(), "berth-ctl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult<IStore>(new MemoryStore()),
            TimeProvider = time,
            GarbageCollectorEnabled = true,
            WriteKubeconfig = false,
        });
        var api = new ServerApiClient(InProcessApiClient.For(server));
        var manager = new ControllerManager(api, time, new ControllerManagerOptions
        {
            DataDir = dataDir,
            Simulation = simulation ?? new SimulatedNodeOptions(),
        });
        await manager.StartAsync();
        return new TestCluster(api, time, manager, dataDir, server);
    }

    /// <summary>An HttpClient for <see cref="Server"/> that trusts its CA and sends its token.</summary>
    public HttpClient CreateHttpClient()
    {
        var server = Server ?? throw new InvalidOperationException("this cluster runs on the fake");
        var ca = X509Certificate2.CreateFromPem(server.CaPem);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            // The serving certificate is stamped with the fake clock's time; validate at that moment.
            chain.ChainPolicy.VerificationTime = Time.GetUtcNow().UtcDateTime.AddMinutes(1);
            return certificate is not null && chain.Build(new X509Certificate2(certificate));
        };
        var client = new HttpClient(handler) { BaseAddress = server.Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    /// <summary>Polls until the condition holds, advancing fake time by <see cref="Step"/> per poll (20 s real at most).</summary>
    public async Task WaitAsync(Func<bool> condition, string what, TimeSpan? advanceUpTo = null)
    {
        var limit = advanceUpTo ?? TimeSpan.FromMinutes(5);
        var advanced = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}; actions: {string.Join("; ", Api.Actions.TakeLast(30))}");
            }

            await Task.Delay(2);
            if (advanced < limit)
            {
                Time.Advance(Step);
                advanced += Step;
            }
        }
    }

    /// <summary>Lets the system run for a while (fake time passes) so a test can assert nothing happened.</summary>
    public async Task SettleAsync(TimeSpan fakeTime)
    {
        for (var t = TimeSpan.Zero; t < fakeTime; t += Step)
        {
            await Task.Delay(2);
            Time.Advance(Step);
        }

        await Task.Delay(50);
    }

    public T? Get<T>(string name, string? ns = "default")
        where T : class, IKubernetesObject<V1ObjectMeta> => Api.Peek<T>(ns, name);

    public V1StatefulSet Set(string name = "web") => Get<V1StatefulSet>(name) ?? throw new InvalidOperationException($"statefulset {name} missing");

    public List<V1Pod> Pods(string? prefix = null) =>
        [.. Api.All<V1Pod>("default").Where(p => prefix is null || p.Metadata.Name.StartsWith(prefix + "-", StringComparison.Ordinal)).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];

    public List<string> PodNames(string? prefix = null) => [.. Pods(prefix).Select(p => p.Metadata.Name)];

    public List<V1PersistentVolumeClaim> Claims() => [.. Api.All<V1PersistentVolumeClaim>("default").OrderBy(c => c.Metadata.Name, StringComparer.Ordinal)];

    public List<V1ControllerRevision> Revisions() => [.. Api.All<V1ControllerRevision>("default").OrderBy(r => r.Revision)];

    public List<Corev1Event> Events() => Api.All<Corev1Event>("default");

    public bool AllReady(string set, int replicas)
    {
        var s = Get<V1StatefulSet>(set);
        var pods = Pods(set);
        return s?.Status is { } st && st.ReadyReplicas == replicas && st.Replicas == replicas && pods.Count == replicas
            && st.ObservedGeneration == s.Metadata.Generation
            && pods.All(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null);
    }

    public Task WaitReadyAsync(string set, int replicas) => WaitAsync(() => AllReady(set, replicas), $"{set} to have {replicas} ready replicas");

    public Task<V1StatefulSet> CreateAsync(V1StatefulSet set) => Api.CreateAsync(set);

    /// <summary>Read-modify-write of the set, retried on conflict (like kubectl edit).</summary>
    public async Task<V1StatefulSet> UpdateSetAsync(string name, Action<V1StatefulSet> change)
    {
        for (var i = 0; ; i++)
        {
            var s = Set(name);
            change(s);
            try
            {
                return await Api.UpdateAsync(s);
            }
            catch (ApiException e) when (e.IsConflict && i < 20)
            {
            }
        }
    }

    public async Task<V1Pod> UpdatePodAsync(string name, Action<V1Pod> change)
    {
        for (var i = 0; ; i++)
        {
            var p = Get<V1Pod>(name) ?? throw new InvalidOperationException($"pod {name} missing");
            change(p);
            try
            {
                return await Api.UpdateAsync(p);
            }
            catch (ApiException e) when (e.IsConflict && i < 20)
            {
            }
        }
    }

    public Task AnnotatePodAsync(string name, string key, string? value) => UpdatePodAsync(name, p =>
    {
        p.Metadata.Annotations ??= new Dictionary<string, string>();
        if (value is null)
        {
            p.Metadata.Annotations.Remove(key);
        }
        else
        {
            p.Metadata.Annotations[key] = value;
        }
    });

    public Task DeletePodAsync(string name) => Api.DeleteAsync<V1Pod>("default", name);
}
