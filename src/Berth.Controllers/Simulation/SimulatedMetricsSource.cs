using Berth.Core.Metrics;
using k8s.Models;

namespace Berth.Controllers.Simulation;

/// <summary>
/// The simulated node's figures for metrics.k8s.io (kubectl top): nothing runs, so each running container of a pod
/// on this node reports a small, plausible usage (1-5 millicores, 8-40 MiB) derived from its pod's UID and name and
/// varying a little from one 15-second window to the next, like a quiet real process; the node reports a small base
/// load. Pods not running on this node, and other nodes, have no figures (they are left out, as metrics-server
/// leaves out what no kubelet reported).
/// </summary>
public sealed class SimulatedMetricsSource : IMetricsSource
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(15);
    private readonly string _nodeName;
    private readonly TimeProvider _time;

    public SimulatedMetricsSource(string nodeName, TimeProvider time)
    {
        _nodeName = nodeName;
        _time = time;
    }

    public ValueTask<PodUsage?> GetPodUsageAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.Spec?.NodeName != _nodeName || pod.Status?.Phase != "Running" || pod.Metadata.DeletionTimestamp is not null)
        {
            return ValueTask.FromResult<PodUsage?>(null);
        }

        var (timestamp, bucket) = Sample();
        var containers = (pod.Spec.Containers ?? [])
            .Select(c =>
            {
                var seed = Hash(pod.Metadata.Uid + "/" + c.Name);
                var jitter = Hash(seed + "/" + bucket) % 500_000;
                var cpu = 1_000_000 + (seed % 3_500_000) + jitter;
                var memory = (8L * 1024 * 1024) + (seed % (32L * 1024)) * 1024;
                return new ContainerUsage(c.Name, new ResourceUsage(cpu, memory));
            })
            .ToList();
        return ValueTask.FromResult<PodUsage?>(new PodUsage(timestamp, Window, containers));
    }

    public ValueTask<NodeUsage?> GetNodeUsageAsync(V1Node node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Metadata.Name != _nodeName)
        {
            return ValueTask.FromResult<NodeUsage?>(null);
        }

        var (timestamp, bucket) = Sample();
        var jitter = Hash(_nodeName + "/" + bucket) % 20_000_000;
        return ValueTask.FromResult<NodeUsage?>(new NodeUsage(timestamp, Window,
            new ResourceUsage(120_000_000 + jitter, 640L * 1024 * 1024)));
    }

    /// <summary>Samples are taken at the end of each 15-second window.</summary>
    private (DateTimeOffset Timestamp, long Bucket) Sample()
    {
        var now = _time.GetUtcNow();
        var bucket = now.ToUnixTimeSeconds() / (long)Window.TotalSeconds;
        return (DateTimeOffset.FromUnixTimeSeconds(bucket * (long)Window.TotalSeconds), bucket);
    }

    // FNV-1a: stable across processes (string.GetHashCode is randomized per process).
    private static long Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (long)(hash & long.MaxValue);
    }
}
