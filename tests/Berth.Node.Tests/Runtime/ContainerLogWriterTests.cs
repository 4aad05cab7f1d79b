using System.Text;
using Berth.Node.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Node.Tests.Runtime;

public sealed class ContainerLogWriterTests
{
    [Fact]
    public async Task Lines_are_written_in_the_CRI_format_with_partial_records_for_long_lines()
    {
        var path = Path.Combine(Path.GetTempPath(), $"berth-log-{Guid.NewGuid():N}", "0.log");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 18, 30, 0, 123, TimeSpan.Zero));
        try
        {
            var writer = new ContainerLogWriter(path, time);
            var longLine = new string('x', 20_000);
            await writer.PumpAsync(new MemoryStream(Encoding.UTF8.GetBytes($"one\ntwo\n{longLine}\nlast-no-newline")), "stdout");
            await writer.PumpAsync(new MemoryStream("oops\n"u8.ToArray()), "stderr");
            await writer.DisposeAsync();

            var lines = await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal("2026-11-23T18:30:00.123000000Z stdout F one", lines[0]);
            Assert.Equal("2026-11-23T18:30:00.123000000Z stdout F two", lines[1]);
            Assert.StartsWith("2026-11-23T18:30:00.123000000Z stdout P xxx", lines[2], StringComparison.Ordinal);
            Assert.StartsWith("2026-11-23T18:30:00.123000000Z stdout F xxx", lines[3], StringComparison.Ordinal);
            Assert.Equal(20_000, lines[2].Split(' ', 4)[3].Length + lines[3].Split(' ', 4)[3].Length);
            Assert.Equal("2026-11-23T18:30:00.123000000Z stdout F last-no-newline", lines[4]);
            Assert.Equal("2026-11-23T18:30:00.123000000Z stderr F oops", lines[5]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
