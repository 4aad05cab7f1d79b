namespace Berth.Node.Metrics;

/// <summary>
/// Turns cumulative CPU readings into a rate, as metrics-server does with two consecutive kubelet scrapes: the usage
/// between an earlier reading and the latest one, divided by the time between them (the reported <c>window</c>).
/// Readings come from requests and from a scrape every <see cref="SandboxMetricsSource.ScrapeInterval"/>; the
/// earlier reading is the newest one at least <see cref="MinimumWindow"/> old, so two quick <c>kubectl top</c>
/// calls do not divide by a few milliseconds, and a window is at most about one scrape interval long. A history can
/// start with a reading at the container's start (a fresh cgroup or process tree has used nothing yet), which is
/// what lets the first <c>kubectl top</c> after a pod is Running show figures instead of metrics-server's ~15 s wait.
/// </summary>
internal sealed class CpuRateHistory
{
    /// <summary>The shortest window a rate is computed over (shorter ones are mostly noise from process start-up).</summary>
    public static readonly TimeSpan MinimumWindow = TimeSpan.FromSeconds(1);

    private const int Kept = 4;
    private readonly List<(long Nanoseconds, DateTimeOffset Time)> _readings = new(Kept + 1);

    /// <param name="start">A reading known without sampling (zero at the container's start), or null.</param>
    public CpuRateHistory((long Nanoseconds, DateTimeOffset Time)? start = null)
    {
        if (start is { } s)
        {
            _readings.Add(s);
        }
    }

    /// <summary>
    /// Records a reading and answers the rate ending at it, or null while no reading is at least
    /// <see cref="MinimumWindow"/> older (the container just started; metrics-server has no figures then either).
    /// </summary>
    public CpuRate? Add(long cumulativeNanoseconds, DateTimeOffset time)
    {
        lock (_readings)
        {
            if (_readings.Count > 0 && (cumulativeNanoseconds < _readings[^1].Nanoseconds || time < _readings[^1].Time))
            {
                // A counter that went back (a process of a /proc-counted container exited unreaped by it) or a clock
                // that did: the earlier readings no longer describe the same thing, start over from this one.
                _readings.Clear();
            }

            CpuRate? rate = null;
            for (var i = _readings.Count - 1; i >= 0; i--)
            {
                var (nanoseconds, at) = _readings[i];
                var window = time - at;
                if (window >= MinimumWindow)
                {
                    var nanoCores = (long)((cumulativeNanoseconds - nanoseconds) / window.TotalSeconds);
                    rate = new CpuRate(nanoCores, time, window);
                    // Readings before the one used will never be the newest old-enough one again.
                    _readings.RemoveRange(0, i);
                    break;
                }
            }

            // Readings are kept at least MinimumWindow apart, so a burst of requests cannot push out the one reading
            // old enough to start the next window.
            if (_readings.Count == 0 || time - _readings[^1].Time >= MinimumWindow)
            {
                _readings.Add((cumulativeNanoseconds, time));
            }

            if (_readings.Count > Kept)
            {
                _readings.RemoveAt(0);
            }

            return rate;
        }
    }
}
