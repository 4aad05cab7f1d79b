namespace Berth.Node.Metrics;

/// <summary>
/// One reading of a container (or the node): CPU time used so far, in nanoseconds (a cumulative counter, turned into
/// a rate by <see cref="CpuRateHistory"/>), and the memory working set in bytes at the time of the reading.
/// </summary>
internal readonly record struct ContainerStats(long CpuNanoseconds, long WorkingSetBytes);
