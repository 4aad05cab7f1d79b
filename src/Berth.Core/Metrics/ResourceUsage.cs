namespace Berth.Core.Metrics;

/// <summary>
/// One usage sample as metrics-server reports it: CPU as a rate in nanocores averaged over the sample's window,
/// memory as the working set in bytes.
/// </summary>
public readonly record struct ResourceUsage(long CpuNanoCores, long MemoryBytes);
