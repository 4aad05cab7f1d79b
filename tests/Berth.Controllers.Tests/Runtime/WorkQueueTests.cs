using Berth.Controllers.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Controllers.Tests.Runtime;

public sealed class WorkQueueTests
{
    [Fact]
    public async Task A_key_added_twice_is_queued_once()
    {
        using var q = new WorkQueue(new FakeTimeProvider());
        q.Add("a");
        q.Add("a");
        q.Add("b");
        Assert.Equal(2, q.Length);
        Assert.Equal("a", await q.GetAsync(TestContext.Current.CancellationToken));
        Assert.Equal("b", await q.GetAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_key_being_processed_is_not_handed_out_again_until_done()
    {
        using var q = new WorkQueue(new FakeTimeProvider());
        q.Add("a");
        var key = await q.GetAsync(TestContext.Current.CancellationToken);
        q.Add("a");
        Assert.Equal(0, q.Length);
        q.Done(key!);
        Assert.Equal(1, q.Length);
        Assert.Equal("a", await q.GetAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Rate_limited_retries_back_off_exponentially_per_item_and_forget_resets()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(time);
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("b"));
        Assert.Equal(3, limiter.NumRequeues("a"));
        limiter.Forget("a");
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
        for (var i = 0; i < 40; i++)
        {
            limiter.When("c");
        }

        Assert.Equal(TimeSpan.FromSeconds(1000), limiter.When("c"));
    }

    [Fact]
    public void The_overall_bucket_allows_a_burst_of_100_then_10_per_second()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(time);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("k" + i));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), limiter.When("k100"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), limiter.When("k101"));
    }

    [Fact]
    public async Task AddAfter_waits_for_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        using var q = new WorkQueue(time);
        q.AddAfter("a", TimeSpan.FromSeconds(30));
        Assert.Equal(0, q.Length);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, q.Length);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, q.Length);
        Assert.Equal("a", await q.GetAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Shut_down_releases_waiting_workers()
    {
        using var q = new WorkQueue(new FakeTimeProvider());
        var waiting = q.GetAsync(TestContext.Current.CancellationToken);
        q.ShutDown();
        Assert.Null(await waiting);
    }
}
