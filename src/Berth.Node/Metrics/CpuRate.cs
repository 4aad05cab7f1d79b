namespace Berth.Node.Metrics;

/// <summary>A CPU rate as metrics-server reports it: nanocores averaged over a window that ends at the timestamp.</summary>
internal readonly record struct CpuRate(long NanoCores, DateTimeOffset Timestamp, TimeSpan Window);
