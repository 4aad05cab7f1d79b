namespace Berth.Node.Logs;

/// <summary>What to serve from a container log (upstream's PodLogOptions, with sinceSeconds already turned into a time).</summary>
internal sealed record LogReadOptions
{
    public bool Follow { get; init; }

    public bool Timestamps { get; init; }

    public long? TailLines { get; init; }

    public DateTimeOffset? SinceTime { get; init; }

    public long? LimitBytes { get; init; }
}
