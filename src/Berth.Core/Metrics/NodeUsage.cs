namespace Berth.Core.Metrics;

/// <summary>A node's sample: when it was taken, the window its CPU rate covers, and the node-wide usage.</summary>
public sealed record NodeUsage(DateTimeOffset Timestamp, TimeSpan Window, ResourceUsage Usage);
