using System.Globalization;
using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.Simulation;

/// <summary>
/// The simulated node (`--runtime simulated`, kwok-like): registers a Ready Node, and for every pod bound to it
/// reports phase Running and Ready after the configured delays, with container statuses, running nothing. Tests
/// steer chosen pods with annotations: <c>berth.dev/simulate-ready: "false"</c> keeps a pod not ready,
/// <c>berth.dev/simulate-phase: Failed|Succeeded</c> ends it. Graceful deletion: a terminating pod is removed
/// (delete with grace 0, as the kubelet does) once its simulated containers have exited.
/// </summary>
public sealed class SimulatedNode : IDisposable
{
    public const string SimulateReadyAnnotation = "berth.dev/simulate-ready";
    public const string SimulatePhaseAnnotation = "berth.dev/simulate-phase";

    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly SimulatedNodeOptions _options;
    private readonly Informer<V1Pod> _pods;
    private readonly WorkQueue _queue;
    private readonly EventRecorder _recorder;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _boundAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _terminatingAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ips = new(StringComparer.Ordinal);
    private int _nextIp = 2;

    internal SimulatedNode(InformerFactory informers, EventRecorder recorder, SimulatedNodeOptions options)
    {
        _client = informers.Client;
        _time = informers.Time;
        _options = options;
        _recorder = recorder;
        _pods = informers.For<V1Pod>();
        _pods.AddIndexer(IndexNames.NodeName, p => [p.Spec?.NodeName ?? string.Empty]);
        _queue = new WorkQueue(_time);
        _pods.AddHandler(new InformerHandler<V1Pod>(Enqueue, (_, p) => Enqueue(p), OnDeleted));
    }

    public string NodeName => _options.NodeName;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await RegisterAsync(cancellationToken).ConfigureAwait(false);
        await _queue.RunWorkersAsync(2, SyncAndRequeueAsync, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _queue.Dispose();

    /// <summary>Registers (or refreshes) the Node object with a Ready condition.</summary>
    public async Task RegisterAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = _options.NodeName,
                Labels = new Dictionary<string, string>
                {
                    ["kubernetes.io/hostname"] = _options.NodeName,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                    ["node-role.kubernetes.io/control-plane"] = string.Empty,
                    ["type"] = "simulated",
                },
            },
            Spec = new V1NodeSpec(),
        };
        V1Node stored;
        try
        {
            stored = await _client.CreateAsync(node, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            stored = await _client.GetAsync<V1Node>(null, _options.NodeName, ct).ConfigureAwait(false)
                ?? throw new ApiException(500, "InternalError", $"node {_options.NodeName} vanished during registration");
        }

        var copy = ModelCopy.Clone(stored);
        copy.Status = new V1NodeStatus
        {
            Capacity = Resources("110"),
            Allocatable = Resources("110"),
            Conditions =
            [
                new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "MemoryPressure", Status = "False", Reason = "KubeletHasSufficientMemory", Message = "kubelet has sufficient memory available", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "DiskPressure", Status = "False", Reason = "KubeletHasNoDiskPressure", Message = "kubelet has no disk pressure", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "PIDPressure", Status = "False", Reason = "KubeletHasSufficientPID", Message = "kubelet has sufficient PID available", LastHeartbeatTime = now, LastTransitionTime = now },
            ],
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }, new V1NodeAddress { Type = "Hostname", Address = _options.NodeName }],
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = "amd64",
                OperatingSystem = "linux",
                KubeletVersion = "v1.34.0-berth",
                KubeProxyVersion = string.Empty,
                ContainerRuntimeVersion = "berth-simulated://1",
                KernelVersion = Environment.OSVersion.Version.ToString(),
                OsImage = "Berth simulated node",
                BootID = string.Empty,
                MachineID = string.Empty,
                SystemUUID = string.Empty,
            },
        };
        await _client.UpdateStatusAsync(copy, ct).ConfigureAwait(false);
    }

    private static Dictionary<string, ResourceQuantity> Resources(string pods) => new()
    {
        ["cpu"] = new ResourceQuantity("2"),
        ["memory"] = new ResourceQuantity("24Gi"),
        ["pods"] = new ResourceQuantity(pods),
        ["ephemeral-storage"] = new ResourceQuantity("100Gi"),
    };

    private void Enqueue(V1Pod pod)
    {
        if (pod.Spec?.NodeName == _options.NodeName)
        {
            _queue.Add(ObjectKeys.Of(pod));
        }
    }

    private void OnDeleted(V1Pod pod)
    {
        lock (_gate)
        {
            _boundAt.Remove(pod.Metadata.Uid);
            _terminatingAt.Remove(pod.Metadata.Uid);
            _ips.Remove(pod.Metadata.Uid);
        }
    }

    private async Task SyncAndRequeueAsync(string key, CancellationToken ct)
    {
        if (await SyncAsync(key, ct).ConfigureAwait(false) is { } after)
        {
            _queue.AddAfter(key, after);
        }
    }

    /// <summary>Moves one pod toward its simulated state; returns when to look again, if a delay is pending.</summary>
    private async Task<TimeSpan?> SyncAsync(string key, CancellationToken ct)
    {
        var pod = _pods.GetByKey(key);
        if (pod is null || pod.Spec?.NodeName != _options.NodeName)
        {
            return null;
        }

        var uid = pod.Metadata.Uid;
        var nowTs = _time.GetTimestamp();
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            long since;
            lock (_gate)
            {
                since = _terminatingAt.TryGetValue(uid, out var t) ? t : _terminatingAt[uid] = nowTs;
            }

            var grace = TimeSpan.FromSeconds(pod.Metadata.DeletionGracePeriodSeconds ?? 0);
            var wait = (_options.TerminationDelay < grace ? _options.TerminationDelay : grace) - _time.GetElapsedTime(since, nowTs);
            if (wait > TimeSpan.Zero)
            {
                return wait;
            }

            // The kubelet's final step: delete with grace 0 (and the pod's uid as precondition).
            try
            {
                await _client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name,
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = uid } }, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound || e.IsConflict)
            {
                // Gone already, or a new pod of the same name.
            }

            return null;
        }

        if (pod.Status?.Phase is "Failed" or "Succeeded")
        {
            return null;
        }

        long boundAt;
        lock (_gate)
        {
            boundAt = _boundAt.TryGetValue(uid, out var t) ? t : _boundAt[uid] = nowTs;
        }

        var elapsed = _time.GetElapsedTime(boundAt, nowTs);
        if (elapsed < _options.StartDelay)
        {
            return _options.StartDelay - elapsed;
        }

        var desired = DesiredStatus(pod, elapsed, out var next);
        if (!StatusEquals(pod.Status, desired))
        {
            // The write reads the pod and changes nothing in it, so a shallow copy with the new status will do: a deep
            // copy of the whole cached pod (JSON out and back in) was a tenth of the status write's cost.
            var copy = new V1Pod { ApiVersion = pod.ApiVersion, Kind = pod.Kind, Metadata = pod.Metadata, Spec = pod.Spec, Status = desired };
            try
            {
                await _client.WriteStatusAsync(copy, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                return null;
            }

            if (pod.Status?.Phase != "Running" && desired.Phase == "Running")
            {
                foreach (var c in pod.Spec.Containers ?? [])
                {
                    _recorder.Event(pod, EventRecorder.Normal, "Started", $"Started container {c.Name}");
                }
            }
        }

        return next;
    }

    private V1PodStatus DesiredStatus(V1Pod pod, TimeSpan sinceBound, out TimeSpan? next)
    {
        next = null;
        var now = _time.GetUtcNow().UtcDateTime;
        var old = pod.Status ?? new V1PodStatus();
        var phaseOverride = pod.Metadata.Annotation(SimulatePhaseAnnotation);
        var terminal = phaseOverride is "Failed" or "Succeeded";
        var readyWanted = !terminal && pod.Metadata.Annotation(SimulateReadyAnnotation) != "false";
        if (readyWanted && sinceBound < _options.StartDelay + _options.ReadyDelay)
        {
            readyWanted = false;
            next = _options.StartDelay + _options.ReadyDelay - sinceBound;
        }

        var ready = readyWanted ? "True" : "False";
        var startedAt = old.StartTime ?? now;
        var status = new V1PodStatus
        {
            Phase = terminal ? phaseOverride : "Running",
            HostIP = "127.0.0.1",
            HostIPs = [new V1HostIP { Ip = "127.0.0.1" }],
            PodIP = PodIp(pod.Metadata.Uid),
            PodIPs = [new V1PodIP { Ip = PodIp(pod.Metadata.Uid) }],
            StartTime = startedAt,
            QosClass = old.QosClass ?? "BestEffort",
            Conditions =
            [
                Condition(old, "PodReadyToStartContainers", "True", null, now),
                Condition(old, "Initialized", "True", null, now),
                Condition(old, "Ready", ready, readyWanted ? null : "ContainersNotReady", now),
                Condition(old, "ContainersReady", ready, readyWanted ? null : "ContainersNotReady", now),
                Condition(old, "PodScheduled", "True", null, now),
            ],
            ContainerStatuses = [.. (pod.Spec.Containers ?? []).Select(c => new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                ImageID = "simulated://" + c.Image,
                ContainerID = "simulated://" + pod.Metadata.Uid + "/" + c.Name,
                Ready = readyWanted,
                Started = !terminal,
                RestartCount = 0,
                State = terminal
                    ? new V1ContainerState
                    {
                        Terminated = new V1ContainerStateTerminated
                        {
                            ExitCode = phaseOverride == "Failed" ? 1 : 0,
                            Reason = phaseOverride == "Failed" ? "Error" : "Completed",
                            StartedAt = startedAt,
                            FinishedAt = now,
                        },
                    }
                    : new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } },
            })],
        };
        return status;
    }

    private static V1PodCondition Condition(V1PodStatus old, string type, string value, string? reason, DateTime now)
    {
        var previous = old.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1PodCondition
        {
            Type = type,
            Status = value,
            Reason = reason,
            Message = reason is null ? null : "containers with unready status",
            // lastTransitionTime moves only when the status flips: minReadySeconds is measured from it.
            LastTransitionTime = previous?.Status == value ? previous.LastTransitionTime : now,
        };
    }

    private static bool StatusEquals(V1PodStatus? a, V1PodStatus b)
    {
        if (a is null || a.Phase != b.Phase || a.PodIP != b.PodIP)
        {
            return false;
        }

        foreach (var c in b.Conditions)
        {
            var o = a.Conditions?.FirstOrDefault(x => x.Type == c.Type);
            if (o is null || o.Status != c.Status)
            {
                return false;
            }
        }

        return a.ContainerStatuses?.Count == b.ContainerStatuses?.Count
            && (a.ContainerStatuses ?? []).Zip(b.ContainerStatuses ?? []).All(p => p.First.Ready == p.Second.Ready && p.First.Name == p.Second.Name);
    }

    private string PodIp(string uid)
    {
        lock (_gate)
        {
            if (!_ips.TryGetValue(uid, out var ip))
            {
                var n = _nextIp++;
                ip = _options.PodCidrPrefix + (n / 250).ToString(CultureInfo.InvariantCulture) + "." + ((n % 250) + 2).ToString(CultureInfo.InvariantCulture);
                _ips[uid] = ip;
            }

            return ip;
        }
    }
}
