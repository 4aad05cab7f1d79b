using System.Runtime.CompilerServices;
using Berth.Core.Metrics;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Metrics;

/// <summary>
/// The sandbox node's figures for metrics.k8s.io (kubectl top), in the role of the kubelet's summary API plus
/// metrics-server: per running container, CPU as a rate over a window and memory as the working set, from the
/// container's cgroup when it has one (<see cref="CgroupStats"/>) and from /proc otherwise (<see cref="ProcStats"/>);
/// the node's from /proc/stat and /proc/meminfo.
/// <para>
/// metrics-server scrapes every 15 s (its <c>--metric-resolution</c>) and answers nothing for a pod until it has two
/// scrapes, so upstream <c>kubectl top</c> shows a new pod after 15-30 s. Here a container's CPU history starts with
/// zero at its start time, so figures appear once it has run for <see cref="CpuRateHistory.MinimumWindow"/>: a user
/// who just saw the pod Running expects <c>kubectl top</c> to show it. After the first request, a scrape every
/// <see cref="ScrapeInterval"/> keeps windows at most about that long, so a figure describes the last seconds, not the
/// time since the previous request; nothing is sampled in the background until something asks for metrics.
/// </para>
/// The server is built before the node, so the source exists first (discovery lists metrics.k8s.io from the start)
/// and the runtime is attached once it runs; until then no pod has figures.
/// </summary>
internal sealed class SandboxMetricsSource : IMetricsSource, IDisposable
{
    /// <summary>metrics-server's default --metric-resolution.</summary>
    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(15);

    private readonly string _nodeName;
    private readonly TimeProvider _time;
    private readonly ProcStats _proc;
    private readonly ConditionalWeakTable<ContainerProcess, CpuRateHistory> _containers = [];
    private readonly CpuRateHistory _node;
    private readonly Lock _scraperLock = new();
    private volatile SandboxRuntime? _runtime;
    private ITimer? _scraper;

    public SandboxMetricsSource(string nodeName, TimeProvider time, ProcStats? proc = null)
    {
        _nodeName = nodeName;
        _time = time;
        _proc = proc ?? new ProcStats();
        _node = new CpuRateHistory();
        if (_proc.ReadNode() is { } node)
        {
            // /proc/stat counts from boot: the first node reading starts the window, it is not a rate since boot.
            _node.Add(node.CpuNanoseconds, _time.GetUtcNow());
        }
    }

    /// <summary>Starts answering for the runtime's pods.</summary>
    public void Attach(SandboxRuntime runtime) => _runtime = runtime;

    /// <summary>Stops answering for pods (the runtime is being disposed) and stops scraping.</summary>
    public void Detach()
    {
        _runtime = null;
        lock (_scraperLock)
        {
            _scraper?.Dispose();
            _scraper = null;
        }
    }

    public ValueTask<PodUsage?> GetPodUsageAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (_runtime is not { } runtime || pod.Spec?.NodeName != _nodeName || pod.Metadata.Uid is not { } uid)
        {
            return ValueTask.FromResult<PodUsage?>(null);
        }

        var running = runtime.RunningContainers(uid);
        if (running.Count == 0)
        {
            return ValueTask.FromResult<PodUsage?>(null);
        }

        EnsureScraping();
        var byNamespace = running.Any(c => c.Cgroup is null) ? _proc.ProcessesByPidNamespace() : null;
        var order = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).Select(c => c.Name).ToList();
        var containers = new List<ContainerUsage>(running.Count);
        var window = TimeSpan.Zero;
        var timestamp = DateTimeOffset.MinValue;
        foreach (var container in running.OrderBy(c => order.IndexOf(c.ContainerName)))
        {
            if (Sample(container, byNamespace) is not { } sample)
            {
                // Like metrics-server, a pod is left out until every running container has figures.
                return ValueTask.FromResult<PodUsage?>(null);
            }

            var (stats, rate) = sample;
            containers.Add(new ContainerUsage(container.ContainerName, new ResourceUsage(rate.NanoCores, stats.WorkingSetBytes)));
            window = rate.Window > window ? rate.Window : window;
            timestamp = rate.Timestamp > timestamp ? rate.Timestamp : timestamp;
        }

        return ValueTask.FromResult<PodUsage?>(new PodUsage(timestamp, window, containers));
    }

    public ValueTask<NodeUsage?> GetNodeUsageAsync(V1Node node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Metadata.Name != _nodeName)
        {
            return ValueTask.FromResult<NodeUsage?>(null);
        }

        EnsureScraping();
        var now = _time.GetUtcNow();
        if (_proc.ReadNode() is not { } stats || _node.Add(stats.CpuNanoseconds, now) is not { } rate)
        {
            return ValueTask.FromResult<NodeUsage?>(null);
        }

        return ValueTask.FromResult<NodeUsage?>(new NodeUsage(rate.Timestamp, rate.Window, new ResourceUsage(rate.NanoCores, stats.WorkingSetBytes)));
    }

    public void Dispose() => Detach();

    /// <summary>A container's current figures and its CPU rate, or null when it is gone or too new.</summary>
    private (ContainerStats Stats, CpuRate Rate)? Sample(ContainerProcess container, Dictionary<string, List<int>>? byNamespace)
    {
        ContainerStats? stats;
        if (container.Cgroup is { } cgroup)
        {
            stats = cgroup.V2 ? CgroupStats.ReadV2(cgroup.MemoryDirectory) : CgroupStats.ReadV1(cgroup.MemoryDirectory, cgroup.CpuDirectory);
        }
        else
        {
            // The container's processes: those in the PID namespace of its PID 1 (the inner bwrap).
            byNamespace ??= _proc.ProcessesByPidNamespace();
            stats = _proc.PidNamespace(container.Pid1) is { } ns && byNamespace.TryGetValue(ns, out var pids) ? _proc.ReadProcesses(pids) : null;
        }

        if (stats is not { } s)
        {
            return null;
        }

        var history = _containers.GetValue(container, c => new CpuRateHistory((0, c.StartedAt)));
        return history.Add(s.CpuNanoseconds, _time.GetUtcNow()) is { } rate ? (s, rate) : null;
    }

    private void EnsureScraping()
    {
        if (_scraper is not null)
        {
            return;
        }

        lock (_scraperLock)
        {
            _scraper ??= _time.CreateTimer(_ => Scrape(), null, ScrapeInterval, ScrapeInterval);
        }
    }

    /// <summary>One reading of every running container and of the node, so the next request's window is recent.</summary>
    private void Scrape()
    {
        try
        {
            if (_runtime is { } runtime)
            {
                var running = runtime.RunningContainers().ToList();
                var byNamespace = running.Any(c => c.Cgroup is null) ? _proc.ProcessesByPidNamespace() : null;
                foreach (var container in running)
                {
                    Sample(container, byNamespace);
                }
            }

            if (_proc.ReadNode() is { } node)
            {
                _node.Add(node.CpuNanoseconds, _time.GetUtcNow());
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next scrape or request reads again; a timer callback must not throw.
        }
    }
}
