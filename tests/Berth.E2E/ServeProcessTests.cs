namespace Berth.E2E;

/// <summary>What a running <c>berth serve</c> holds on the machine, seen from /proc.</summary>
public sealed class ServeProcessTests
{
    [Fact]
    public async Task Serve_puts_no_inotify_watches_on_its_working_directory()
    {
        await using var server = await BerthServeProcess.StartAsync();

        // ASP.NET's default host watches its content root (the current directory, recursively) for appsettings
        // files; Berth has none. Each watch is an "inotify wd:" line in the fdinfo of an inotify descriptor.
        var watches = Directory.EnumerateFiles($"/proc/{server.ProcessId}/fdinfo")
            .SelectMany(f =>
            {
                try
                {
                    return File.ReadAllLines(f);
                }
                catch (IOException)
                {
                    return []; // the descriptor closed between listing and reading
                }
            })
            .Where(l => l.StartsWith("inotify wd:", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(watches);
    }
}
