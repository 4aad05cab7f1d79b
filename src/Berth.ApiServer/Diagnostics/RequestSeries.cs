using System.Diagnostics;

namespace Berth.ApiServer.Diagnostics;

/// <summary>
/// One label set's histogram (per-bucket counts, not yet cumulative, and the exact sum in <see cref="Stopwatch"/>
/// ticks) and its per-code request counts. Lock-free: requests record concurrently.
/// </summary>
internal sealed class RequestSeries
{
    private readonly long[] _buckets = new long[RequestMetrics.Buckets.Length + 1];
    private readonly Dictionary<int, long> _codes = [];
    private long _sumTicks;

    public void Observe(long elapsedTicks, int code)
    {
        var seconds = (double)elapsedTicks / Stopwatch.Frequency;
        var bucket = 0;
        while (bucket < RequestMetrics.Buckets.Length && seconds > RequestMetrics.Buckets[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Add(ref _sumTicks, elapsedTicks);
        lock (_codes)
        {
            _codes[code] = _codes.GetValueOrDefault(code) + 1;
        }
    }

    /// <summary>Cumulative counts per bucket, the +Inf bucket last (its value is the count).</summary>
    public long[] CumulativeBuckets()
    {
        var result = new long[_buckets.Length];
        long total = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            total += Interlocked.Read(ref _buckets[i]);
            result[i] = total;
        }

        return result;
    }

    public double SumSeconds => (double)Interlocked.Read(ref _sumTicks) / Stopwatch.Frequency;

    public KeyValuePair<int, long>[] Codes()
    {
        lock (_codes)
        {
            return [.. _codes.OrderBy(c => c.Key)];
        }
    }
}
