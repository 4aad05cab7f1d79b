using Berth.Node.Metrics;

namespace Berth.Node.Tests.Metrics;

public sealed class CpuRateHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => Start.AddSeconds(seconds);

    [Fact]
    public void A_container_has_a_rate_once_it_has_run_for_the_minimum_window_since_its_start()
    {
        var history = new CpuRateHistory((0, Start));

        Assert.Null(history.Add(200_000_000, At(0.5)));
        var rate = history.Add(1_000_000_000, At(2));

        // 1 s of CPU in 2 s: half a core, over the 2 s since the start.
        Assert.Equal(new CpuRate(500_000_000, At(2), TimeSpan.FromSeconds(2)), rate);
    }

    [Fact]
    public void The_window_starts_at_the_newest_reading_at_least_the_minimum_window_old()
    {
        var history = new CpuRateHistory((0, Start));
        history.Add(15_000_000_000, At(15));
        history.Add(30_000_000_000, At(30));

        // A busy minute after an idle one: the rate is over the last 15 s, not since the start.
        var rate = history.Add(45_000_000_000, At(45))!.Value;
        Assert.Equal(1_000_000_000, rate.NanoCores);
        Assert.Equal(TimeSpan.FromSeconds(15), rate.Window);

        // A second request 0.3 s later still divides by a window of at least the minimum, not by 0.3 s.
        var quick = history.Add(45_100_000_000, At(45.3))!.Value;
        Assert.Equal(15.3, quick.Window.TotalSeconds, precision: 3);
    }

    [Fact]
    public void A_burst_of_requests_keeps_a_reading_old_enough_for_the_next_window()
    {
        var history = new CpuRateHistory((0, Start));
        for (var i = 1; i <= 50; i++)
        {
            history.Add(i * 10_000_000L, At(i * 0.05));
        }

        Assert.NotNull(history.Add(600_000_000, At(3)));
    }

    [Fact]
    public void A_counter_that_goes_back_starts_the_history_over_instead_of_reporting_a_negative_rate()
    {
        var history = new CpuRateHistory((0, Start));
        Assert.NotNull(history.Add(5_000_000_000, At(10)));

        Assert.Null(history.Add(1_000_000_000, At(20)));
        var rate = history.Add(3_000_000_000, At(22))!.Value;
        Assert.Equal(1_000_000_000, rate.NanoCores);
        Assert.Equal(TimeSpan.FromSeconds(2), rate.Window);
    }
}
