using System.Text;
using Berth.Node.Logs;

namespace Berth.Node.Tests.Logs;

public sealed class ContainerLogReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-logs-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(params string[] records)
    {
        var path = Path.Combine(_dir, "0.log");
        File.WriteAllText(path, string.Concat(records.Select(r => r + "\n")));
        return path;
    }

    private static async Task<string> ReadAsync(string path, LogReadOptions options, Task? runEnded = null)
    {
        using var output = new MemoryStream();
        await ContainerLogReader.WriteAsync(path, options, output, runEnded, TimeProvider.System, Ct);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task Records_become_lines_and_partial_records_are_joined()
    {
        var path = Write(
            "2026-01-02T03:04:05.100000000Z stdout F one",
            "2026-01-02T03:04:05.200000000Z stderr P tw",
            "2026-01-02T03:04:05.300000000Z stderr F o",
            "2026-01-02T03:04:05.400000000Z stdout F ",
            "2026-01-02T03:04:06.000000000Z stdout F three");

        Assert.Equal("one\ntwo\n\nthree\n", await ReadAsync(path, new LogReadOptions()));
    }

    [Fact]
    public async Task Timestamps_are_RFC3339Nano_with_trailing_zeros_trimmed()
    {
        var path = Write(
            "2026-01-02T03:04:05.120000000Z stdout F a",
            "2026-01-02T03:04:06.000000000Z stdout F b");

        Assert.Equal("2026-01-02T03:04:05.12Z a\n2026-01-02T03:04:06Z b\n", await ReadAsync(path, new LogReadOptions { Timestamps = true }));
    }

    [Fact]
    public async Task Tail_since_and_limitBytes_select_what_kubelet_would()
    {
        var path = Write(
            "2026-01-02T03:00:00.000000000Z stdout F l1",
            "2026-01-02T03:00:01.000000000Z stdout F l2",
            "2026-01-02T03:00:02.000000000Z stdout F l3",
            "2026-01-02T03:00:03.000000000Z stdout F l4");

        Assert.Equal("l3\nl4\n", await ReadAsync(path, new LogReadOptions { TailLines = 2 }));
        Assert.Equal("", await ReadAsync(path, new LogReadOptions { TailLines = 0 }));
        Assert.Equal("l1\nl2\nl3\nl4\n", await ReadAsync(path, new LogReadOptions { TailLines = 10 }));
        Assert.Equal("l2\nl3\nl4\n", await ReadAsync(path, new LogReadOptions { SinceTime = new DateTimeOffset(2026, 1, 2, 3, 0, 1, TimeSpan.Zero) }));
        Assert.Equal("l1\nl2\nl", await ReadAsync(path, new LogReadOptions { LimitBytes = 7 }));
    }

    [Fact]
    public async Task Follow_serves_what_is_appended_until_the_run_ends()
    {
        var path = Write("2026-01-02T03:00:00.000000000Z stdout F before");
        var ended = new TaskCompletionSource();
        using var output = new MemoryStream();
        var reading = ContainerLogReader.WriteAsync(path, new LogReadOptions { Follow = true }, output, ended.Task, TimeProvider.System, Ct);
        await Task.Delay(300, Ct);
        Assert.False(reading.IsCompleted);

        await File.AppendAllTextAsync(path, "2026-01-02T03:00:01.000000000Z stdout F after\n", Ct);
        await Task.Delay(300, Ct);
        await File.AppendAllTextAsync(path, "2026-01-02T03:00:02.000000000Z stdout F last\n", Ct);
        ended.SetResult();
        await reading.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("before\nafter\nlast\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Attach_serves_only_new_records_each_to_its_own_stream()
    {
        var path = Write("2026-01-02T03:00:00.000000000Z stdout F old");
        var ended = new TaskCompletionSource();
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var attaching = ContainerLogReader.AttachAsync(path, stdout, stderr, ended.Task, TimeProvider.System, Ct);
        await Task.Delay(300, Ct);
        await File.AppendAllTextAsync(path, "2026-01-02T03:00:01.000000000Z stdout F out\n2026-01-02T03:00:01.000000000Z stderr F err\n", Ct);
        await Task.Delay(300, Ct);
        ended.SetResult();
        await attaching.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("out\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }
}
