using k8s.Models;

namespace Berth.Core.Metrics;

/// <summary>
/// Where the API server's metrics.k8s.io/v1beta1 (what <c>kubectl top</c> reads) gets its figures: the role of
/// metrics-server scraping each kubelet's summary. The simulated node reports small plausible figures; the node
/// agent reports cgroup and /proc figures. The server lists pods and nodes itself (selectors, metadata) and asks
/// the source for each; a source answers null for what it has no figures for (a pod not running on its node, a
/// pod that just started), and the API leaves that object out, as metrics-server does.
/// </summary>
public interface IMetricsSource
{
    /// <summary>The latest usage of <paramref name="pod"/>'s containers, or null.</summary>
    ValueTask<PodUsage?> GetPodUsageAsync(V1Pod pod, CancellationToken cancellationToken);

    /// <summary>The latest usage of <paramref name="node"/> as a whole, or null.</summary>
    ValueTask<NodeUsage?> GetNodeUsageAsync(V1Node node, CancellationToken cancellationToken);
}
