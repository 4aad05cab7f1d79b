namespace Berth.Core.Streaming;

/// <summary>The query of GET pods/{name}/log (upstream's PodLogOptions), resolved: the container is named.</summary>
public sealed record PodLogRequest(string Namespace, string Pod, string Container)
{
    public bool Follow { get; init; }

    public bool Previous { get; init; }

    public bool Timestamps { get; init; }

    public long? TailLines { get; init; }

    public long? SinceSeconds { get; init; }

    public DateTimeOffset? SinceTime { get; init; }

    public long? LimitBytes { get; init; }
}
