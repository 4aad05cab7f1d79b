using Berth.Cli.Up;

namespace Berth.Cli.Tests;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("20", 20_000)]
    public void Durations_parse_as_kubectl_flags_take_them(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5 minutes")]
    [InlineData("m5")]
    [InlineData("5x")]
    public void Anything_else_is_refused(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
