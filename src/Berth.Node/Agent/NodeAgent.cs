using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using Berth.Core.Streaming;
using Berth.Node.Pods;
using Berth.Node.Runtime;
using Berth.Node.Volumes;
using k8s.Models;

namespace Berth.Node.Agent;

/// <summary>
/// The node agent (kubelet-shaped, level-based): registers the Node, watches the pods bound to it and, per pod, runs
/// a <see cref="PodWorker"/> on the runtime once its volumes resolve; writes pod status (coalesced: one write per
/// sync, only when it changed) and kubelet events; does graceful deletion (preStop, stop with the grace period,
/// sandbox removal, then the final DELETE with gracePeriodSeconds=0, as kubelet's status manager does). Pods already
/// bound when it starts are (re-)created; on stop every pod is stopped. It also serves the pods' logs, exec, attach
/// and port-forward to the API server (<see cref="IPodStreamingBackend"/>).
/// </summary>
public sealed partial class NodeAgent : IPodStreamingBackend, IAsyncDisposable
{
    private const string ConfigSourceIndex = "agentConfigSources";
    private const string ClaimIndex = "agentClaims";
    private static readonly TimeSpan MaxVolumeRetry = TimeSpan.FromSeconds(30);

    private readonly IApiClient _client;
    private readonly IPodRuntime _runtime;
    private readonly NodeAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly InformerFactory _informers;
    private readonly Informer<V1Pod> _pods;
    private readonly WorkQueue _queue;
    private readonly EventRecorder _recorder;
    private readonly PodVolumes _volumes;
    private readonly CachedEnvSources _envSources;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ManagedPod> _managed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private int _disposed;

    public NodeAgent(IApiClient client, IPodRuntime runtime, NodeAgentOptions options)
    {
        _client = client;
        _runtime = runtime;
        _options = options;
        _time = options.TimeProvider;
        _informers = new InformerFactory(client, _time);
        _pods = _informers.For<V1Pod>();
        var secrets = _informers.For<V1Secret>();
        var configMaps = _informers.For<V1ConfigMap>();
        var claims = _informers.For<V1PersistentVolumeClaim>();
        var volumes = _informers.For<V1PersistentVolume>();
        var cache = new InformerObjectCache(secrets, configMaps, claims, volumes);
        _volumes = new PodVolumes(cache, options.VolumeDirectory, _time);
        _envSources = new CachedEnvSources(cache);
        _queue = new WorkQueue(_time);
        _recorder = new EventRecorder(client, _time, "kubelet", options.NodeName);

        _pods.AddIndexer(ConfigSourceIndex, ConfigSources);
        _pods.AddIndexer(ClaimIndex, p => (p.Spec?.Volumes ?? [])
            .Where(v => v.PersistentVolumeClaim is not null)
            .Select(v => p.Metadata.NamespaceProperty + "/" + v.PersistentVolumeClaim.ClaimName));
        _pods.AddHandler(new InformerHandler<V1Pod>(OnPod, (_, p) => OnPod(p), OnPod));
        secrets.AddHandler(new InformerHandler<V1Secret>(
            s => EnqueueUsers(s.Metadata, "Secret"), (_, s) => EnqueueUsers(s.Metadata, "Secret"), s => EnqueueUsers(s.Metadata, "Secret")));
        configMaps.AddHandler(new InformerHandler<V1ConfigMap>(
            c => EnqueueUsers(c.Metadata, "ConfigMap"), (_, c) => EnqueueUsers(c.Metadata, "ConfigMap"), c => EnqueueUsers(c.Metadata, "ConfigMap")));
        claims.AddHandler(new InformerHandler<V1PersistentVolumeClaim>(
            c => EnqueueClaimUsers(c.Metadata.NamespaceProperty, c.Metadata.Name), (_, c) => EnqueueClaimUsers(c.Metadata.NamespaceProperty, c.Metadata.Name), null));
        volumes.AddHandler(new InformerHandler<V1PersistentVolume>(EnqueueVolumeUsers, (_, v) => EnqueueVolumeUsers(v), null));
    }

    public string NodeName => _options.NodeName;

    /// <summary>Registers the Node, starts the informers and, once they are synced, the pod workers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Rendered volumes of an earlier run are stale: every pod still bound here is set up afresh.
        if (Directory.Exists(_options.VolumeDirectory))
        {
            Directory.Delete(_options.VolumeDirectory, recursive: true);
        }

        Directory.CreateDirectory(_options.VolumeDirectory);
        await RegisterNodeAsync(cancellationToken).ConfigureAwait(false);
        var ct = _stop.Token;
        _informers.Start(ct);
        await _informers.WaitForCacheSyncAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < Math.Max(1, _options.Workers); i++)
        {
            _workers.Add(Task.Run(() => _queue.RunWorkerAsync(SyncAsync, ct), CancellationToken.None));
        }
    }

    /// <summary>How many pods this agent currently runs or stops (benchmarks and tests).</summary>
    public int ManagedPodCount
    {
        get
        {
            lock (_gate)
            {
                return _managed.Count;
            }
        }
    }

    /// <summary>Waits until every event recorded so far is written (tests).</summary>
    public Task FlushEventsAsync() => _recorder.FlushAsync();

    private bool Mine(V1Pod pod) => pod.Spec?.NodeName == _options.NodeName;

    private void OnPod(V1Pod pod)
    {
        var key = ObjectKeys.Of(pod);
        bool managed;
        lock (_gate)
        {
            managed = _managed.ContainsKey(key);
        }

        if (managed || Mine(pod))
        {
            _queue.Add(key);
        }
    }

    private static IEnumerable<string> ConfigSources(V1Pod pod)
    {
        var ns = pod.Metadata.NamespaceProperty;
        foreach (var v in pod.Spec?.Volumes ?? [])
        {
            if (v.ConfigMap is { } cm)
            {
                yield return $"{ns}/ConfigMap/{cm.Name}";
            }

            if (v.Secret is { } s)
            {
                yield return $"{ns}/Secret/{s.SecretName}";
            }

            foreach (var p in v.Projected?.Sources ?? [])
            {
                if (p.ConfigMap is { } pcm)
                {
                    yield return $"{ns}/ConfigMap/{pcm.Name}";
                }

                if (p.Secret is { } ps)
                {
                    yield return $"{ns}/Secret/{ps.Name}";
                }
            }
        }
    }

    private void EnqueueUsers(V1ObjectMeta meta, string kind)
    {
        foreach (var pod in _pods.ByIndex(ConfigSourceIndex, $"{meta.NamespaceProperty}/{kind}/{meta.Name}"))
        {
            if (Mine(pod))
            {
                _queue.Add(ObjectKeys.Of(pod));
            }
        }
    }

    private void EnqueueClaimUsers(string? ns, string name)
    {
        foreach (var pod in _pods.ByIndex(ClaimIndex, $"{ns}/{name}"))
        {
            if (Mine(pod))
            {
                _queue.Add(ObjectKeys.Of(pod));
            }
        }
    }

    private void EnqueueVolumeUsers(V1PersistentVolume volume)
    {
        if (volume.Spec?.ClaimRef is { } claim)
        {
            EnqueueClaimUsers(claim.NamespaceProperty, claim.Name);
        }
    }

    /// <summary>One level-based pass over a pod key: start, refresh, report or stop whatever it needs.</summary>
    private async Task SyncAsync(string key, CancellationToken ct)
    {
        var pod = _pods.GetByKey(key);
        ManagedPod? m;
        lock (_gate)
        {
            _managed.TryGetValue(key, out m);
        }

        if (m is not null && (pod is null || pod.Metadata.Uid != m.Uid || !Mine(pod)))
        {
            // The object is gone (a forced deletion, or our own final delete) or replaced by a new pod of the same
            // name: whatever still runs is killed now. The new pod waits until the old sandbox is gone (the key is
            // queued again when it is), so two pods of one name never share a volume.
            StartTermination(m, TimeSpan.Zero, deleteFromApi: false);
            return;
        }

        if (pod is null || !Mine(pod) || m?.Termination is not null)
        {
            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            var grace = TimeSpan.FromSeconds(Math.Max(0, pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30));
            if (m is null)
            {
                // Nothing of it runs here (it never started, or it ran under an earlier agent): just finish the deletion.
                await DeleteFinalAsync(pod, ct).ConfigureAwait(false);
                return;
            }

            StartTermination(m, grace, deleteFromApi: true);
            return;
        }

        if (m is null)
        {
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                // It finished before this agent started (a restart of Berth): kubelet does not run finished pods again.
                return;
            }

            m = new ManagedPod(key, pod);
            lock (_gate)
            {
                _managed[key] = m;
            }
        }

        m.Pod = pod;
        if (pod.Spec.HostNetwork == true)
        {
            const string message = "hostNetwork: true is not supported by Berth's sandbox runtime: pods get their own network namespace";
            m.WaitingReason = ContainerReasons.CreateContainerConfigError;
            m.WaitingMessage = message;
            if (m.ReportedProblems.Add(message))
            {
                _recorder.Event(pod, EventRecorder.Warning, "FailedCreatePodSandBox", "Failed to create pod sandbox: " + message);
            }

            await WriteStatusAsync(m, ct).ConfigureAwait(false);
            return;
        }

        if (m.Worker is null)
        {
            var (sources, problems) = _volumes.Resolve(pod);
            if (sources is null)
            {
                m.WaitingReason = ContainerReasons.ContainerCreating;
                m.WaitingMessage = null;
                foreach (var problem in problems)
                {
                    var message = problem.Message.StartsWith("error processing PVC", StringComparison.Ordinal)
                        ? $"Unable to attach or mount volumes: unmounted volumes=[{problem.Volume}], unattached volumes=[], " +
                          $"failed to process volumes=[{problem.Volume}]: {problem.Message}"
                        : $"MountVolume.SetUp failed for volume \"{problem.Volume}\" : {problem.Message}";
                    if (m.ReportedProblems.Add(message))
                    {
                        _recorder.Event(pod, EventRecorder.Warning, "FailedMount", message);
                    }
                }

                await WriteStatusAsync(m, ct).ConfigureAwait(false);
                // Source changes re-queue the pod at once; this is the safety net (kubelet retries on its sync period).
                _queue.AddAfter(key, m.VolumeRetry);
                m.VolumeRetry = TimeSpan.FromTicks(Math.Min(m.VolumeRetry.Ticks * 2, MaxVolumeRetry.Ticks));
                return;
            }

            m.WaitingReason = null;
            m.WaitingMessage = null;
            var worker = new PodWorker(_runtime, pod, new PodWorkerOptions
            {
                TimeProvider = _time,
                VolumeSources = sources,
                EnvSources = _envSources,
            });
            m.Worker = worker;
            m.Pump = Task.Run(() => PumpAsync(m, worker), CancellationToken.None);
            worker.Start();
        }
        else
        {
            // configMap/secret/downwardAPI contents follow their sources (kubelet's periodic remount, here on change).
            _volumes.Refresh(pod);
        }

        await WriteStatusAsync(m, ct).ConfigureAwait(false);
    }

    /// <summary>Relays a worker's kubelet events to the recorder and its state changes to a status sync.</summary>
    private async Task PumpAsync(ManagedPod m, PodWorker worker)
    {
        await foreach (var e in worker.Events.ReadAllAsync().ConfigureAwait(false))
        {
            if (e is KubeletEvent k)
            {
                _recorder.Event(m.Pod, k.Type, k.Reason, k.Message, k.FieldPath);
            }
            else
            {
                _queue.Add(m.Key);
            }
        }
    }

    private void StartTermination(ManagedPod m, TimeSpan grace, bool deleteFromApi)
    {
        lock (_gate)
        {
            if (m.Termination is not null)
            {
                if (grace == TimeSpan.Zero)
                {
                    // A forced deletion during a graceful one: the kubelet shortens the grace period to nothing.
                    m.Worker?.KillNow();
                }

                return;
            }

            m.Termination = Task.Run(() => TerminateAsync(m, grace, deleteFromApi), CancellationToken.None);
        }
    }

    private async Task TerminateAsync(ManagedPod m, TimeSpan grace, bool deleteFromApi)
    {
        try
        {
            if (m.Worker is not null)
            {
                await m.Worker.StopAsync(grace).ConfigureAwait(false);
            }

            if (m.Pump is not null)
            {
                await m.Pump.ConfigureAwait(false);
            }

            _volumes.Remove(m.Uid);
            if (deleteFromApi)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await DeleteFinalAsync(m.Pod, timeout.Token).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // a pod that cannot be torn down cleanly must still leave the agent's books
        catch (Exception e)
#pragma warning restore CA1031
        {
            _options.Log?.Invoke($"node agent: stopping pod {m.Key}: {e.Message}");
        }
        finally
        {
            lock (_gate)
            {
                if (_managed.TryGetValue(m.Key, out var current) && current == m)
                {
                    _managed.Remove(m.Key);
                }
            }

            // A new pod of the same name may have been waiting for this one to be gone.
            _queue.Add(m.Key);
        }
    }

    /// <summary>The kubelet's last word on a terminated pod: delete with grace 0, for exactly this UID.</summary>
    private async Task DeleteFinalAsync(V1Pod pod, CancellationToken ct)
    {
        try
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } }, ct)
                .ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound || e.IsConflict)
        {
            // Gone already, or a new pod of the same name.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _queue.ShutDown();
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
            await _informers.StoppedAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // Every pod stops (kubelet's graceful node shutdown): its own grace period, capped; then what is left is killed.
        List<ManagedPod> pods;
        lock (_gate)
        {
            pods = [.. _managed.Values];
        }

        await Task.WhenAll(pods.Select(ShutDownPodAsync)).ConfigureAwait(false);
        await _recorder.DisposeAsync().ConfigureAwait(false);
        _queue.Dispose();
        _stop.Dispose();
    }

    private async Task ShutDownPodAsync(ManagedPod m)
    {
        var cap = _options.ShutdownGracePeriod;
        lock (_gate)
        {
            if (m.Termination is null)
            {
                var grace = TimeSpan.FromSeconds(m.Pod.Spec.TerminationGracePeriodSeconds ?? 30);
                m.Termination = Task.Run(() => TerminateAsync(m, grace < cap ? grace : cap, deleteFromApi: false), CancellationToken.None);
            }
        }

        if (await Task.WhenAny(m.Termination, Task.Delay(cap + TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false) != m.Termination)
        {
            m.Worker?.KillNow();
        }

        await m.Termination.ConfigureAwait(false);
    }
}
