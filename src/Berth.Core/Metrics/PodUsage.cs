namespace Berth.Core.Metrics;

/// <summary>A pod's sample: when it was taken, the window its CPU rate covers, and one entry per container.</summary>
public sealed record PodUsage(DateTimeOffset Timestamp, TimeSpan Window, IReadOnlyList<ContainerUsage> Containers);
