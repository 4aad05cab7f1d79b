namespace Berth.Controllers.Runtime;

/// <summary>
/// client-go's DefaultControllerRateLimiter: the max of a per-item exponential backoff (5 ms doubling to 1000 s)
/// and an overall token bucket (10 qps, burst 100). Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class RateLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly double _qps;
    private readonly double _burst;
    private double _tokens;
    private long _lastRefill;

    public RateLimiter(TimeProvider time, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, double qps = 10, int burst = 100)
    {
        _time = time;
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(5);
        _maxDelay = maxDelay ?? TimeSpan.FromSeconds(1000);
        _qps = qps;
        _burst = burst;
        _tokens = burst;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>How long the item should wait before its next retry; counts a failure.</summary>
    public TimeSpan When(string item)
    {
        lock (_gate)
        {
            var exp = _failures.GetValueOrDefault(item);
            _failures[item] = exp + 1;
            var backoff = _baseDelay.TotalMilliseconds * Math.Pow(2, exp);
            var itemDelay = backoff > _maxDelay.TotalMilliseconds ? _maxDelay : TimeSpan.FromMilliseconds(backoff);
            var bucketDelay = BucketDelay();
            return itemDelay > bucketDelay ? itemDelay : bucketDelay;
        }
    }

    public int NumRequeues(string item)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(item);
        }
    }

    public void Forget(string item)
    {
        lock (_gate)
        {
            _failures.Remove(item);
        }
    }

    // Token bucket reservation (golang.org/x/time/rate): take a token now, or wait for the one we reserved.
    private TimeSpan BucketDelay()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _qps));
        _lastRefill = now;
        _tokens -= 1;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _qps);
    }
}
