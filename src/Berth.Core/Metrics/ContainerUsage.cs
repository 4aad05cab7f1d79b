namespace Berth.Core.Metrics;

/// <summary>The usage of one container of a pod.</summary>
public sealed record ContainerUsage(string Name, ResourceUsage Usage);
