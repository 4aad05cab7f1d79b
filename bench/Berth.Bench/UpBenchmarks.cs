using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Berth.Bench;

/// <summary>
/// scripts/bench up: <c>up_web3_ready_s</c>, the wall time of <c>./berth up -f examples/web.yaml</c> from nothing
/// running (fresh data dir, no daemon) until the command returned with every pod Ready; the CLI is the published
/// binary the <c>./berth</c> wrapper runs, on serve's default runtime. Each run ends with <c>berth down --purge</c>.
/// </summary>
internal static class UpBenchmarks
{
    private const int Runs = 5;

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var root = RepositoryRoot();
        var wrapper = Path.Combine(root, "berth");
        // Build (when sources changed) outside the measurement.
        await RunAsync(wrapper, ["--help"], TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        var berth = Path.Combine(root, "artifacts", "cli", "berth");
        var web = Path.Combine(root, "examples", "web.yaml");
        var times = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            var dataDir = Path.Combine(Path.GetTempPath(), $"berth-bench-up-{Environment.ProcessId}-{i}");
            var port = FreePort().ToString(CultureInfo.InvariantCulture);
            var clock = Stopwatch.StartNew();
            var (code, output) = await RunAsync(berth, ["up", "-f", web, "--data-dir", dataDir, "--listen", "127.0.0.1:" + port, "--plain"],
                TimeSpan.FromMinutes(3)).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            await RunAsync(berth, ["down", "--purge", "--data-dir", dataDir], TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            if (code != 0 || !output.Contains("web 3/3 ready", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"berth up failed (exit {code}):\n{output}");
            }

            times.Add(seconds);
        }

        times.Sort();
        Console.WriteLine(FormattableString.Invariant($"up_web3_ready_s: {times[times.Count / 2]:F2} s"));
        Console.WriteLine(FormattableString.Invariant($"up_web3_ready_s_min: {times[0]:F2} s"));
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
