using Berth.Controllers.Client;
using Berth.Controllers.Simulation;
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
    private TestCluster(FakeApiClient api, FakeTimeProvider time, ControllerManager manager, string dataDir)
    {
        Api = api;
        Time = time;
        Manager = manager;
        DataDir = dataDir;
    }

    public FakeApiClient Api { get; }

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

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
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
