using Berth.Node.Pods;
using k8s.Models;

namespace Berth.Node.Agent;

/// <summary>What the agent keeps for one pod (one UID) it runs: the latest object, its worker, why it waits, its end.</summary>
internal sealed class ManagedPod(string key, V1Pod pod)
{
    public string Key { get; } = key;

    public string Uid { get; } = pod.Metadata.Uid;

    /// <summary>The latest version from the informer (events are recorded against it).</summary>
    public V1Pod Pod { get; set; } = pod;

    public PodWorker? Worker { get; set; }

    /// <summary>Relays the worker's events (kubelet events, status changes) until the worker is stopped.</summary>
    public Task? Pump { get; set; }

    /// <summary>Set while the pod cannot start (volumes, refused spec): the containers' waiting reason and message.</summary>
    public string? WaitingReason { get; set; }

    public string? WaitingMessage { get; set; }

    /// <summary>Messages already recorded as events, so a retry loop does not flood them.</summary>
    public HashSet<string> ReportedProblems { get; } = new(StringComparer.Ordinal);

    public TimeSpan VolumeRetry { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Stopping (graceful deletion, a vanished pod, or shutdown); null while running.</summary>
    public Task? Termination { get; set; }

    /// <summary>The status JSON last written, so a server-side normalisation can never cause a write loop.</summary>
    public string? LastWrittenStatus { get; set; }
}
