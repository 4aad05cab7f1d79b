using System.CommandLine;
using Berth.Cli.Daemon;
using Berth.Cli.Up;

namespace Berth.Cli;

/// <summary>
/// <c>berth down [--purge]</c>: stops the <c>berth serve</c> that holds the data dir (SIGTERM, so serve stops
/// every pod on its way out; SIGKILL by pid when it does not exit in time). <c>--purge</c> then deletes the data dir.
/// </summary>
internal static class DownCommand
{
    /// <summary>Files only a Berth data dir has; --purge refuses a directory with none of them.</summary>
    private static readonly string[] Markers = ["token", "ca.crt", "kubeconfig", "berth.pid", "berth.log"];

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: $BERTH_DATA_DIR, else ~/.berth)" };
        var purge = new Option<bool>("--purge") { Description = "Delete the data directory (store, volumes, credentials) after stopping" };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to wait for a clean stop before SIGKILL",
            DefaultValueFactory = _ => "60s",
        };
        var command = new Command("down", "Stop Berth and every pod it runs (data kept unless --purge)") { dataDir, purge, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!GoDuration.TryParse(result.GetValue(timeout)!, out var grace))
            {
                await Console.Error.WriteLineAsync($"berth down: --timeout {result.GetValue(timeout)}: expected a duration such as 60s").ConfigureAwait(false);
                return 2;
            }

            var files = new DaemonFiles(DataDirectory.Resolve(result.GetValue(dataDir)));
            return await RunAsync(files, result.GetValue(purge), grace, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(DaemonFiles files, bool purge, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (files.ReadLivePid() is { } pid)
        {
            Console.WriteLine($"Stopping Berth (pid {pid}, data dir {files.DataDir})...");
            var killed = await DaemonLauncher.StopAsync(pid, grace, cancellationToken).ConfigureAwait(false);
            if (DaemonFiles.IsAlive(pid))
            {
                await Console.Error.WriteLineAsync($"berth down: pid {pid} is still running after SIGKILL").ConfigureAwait(false);
                return 1;
            }

            Console.WriteLine(killed
                ? $"Berth did not stop within {GoDuration.Format(grace)} and was killed (SIGKILL); see {files.LogFile}."
                : "Berth stopped.");
        }
        else if (files.ReadPid() is { } stale)
        {
            Console.WriteLine($"Berth is not running (removed a stale pid file naming pid {stale}).");
        }
        else
        {
            Console.WriteLine($"Berth is not running (data dir {files.DataDir}).");
        }

        // serve removes its pid file when it exits cleanly; after a SIGKILL (or a crash) it is left behind.
        if (files.ReadPid() is { } left && !DaemonFiles.IsAlive(left))
        {
            File.Delete(files.PidFile);
        }

        if (purge && Directory.Exists(files.DataDir))
        {
            if (!Markers.Any(m => File.Exists(Path.Combine(files.DataDir, m))))
            {
                await Console.Error.WriteLineAsync(
                    $"berth down: not purging {files.DataDir}: it has none of {string.Join(", ", Markers)}, so it does not look like a Berth data dir")
                    .ConfigureAwait(false);
                return 1;
            }

            Directory.Delete(files.DataDir, recursive: true);
            Console.WriteLine($"Removed {files.DataDir}.");
        }

        return 0;
    }
}
