using System.Diagnostics;
using System.Globalization;

namespace Berth.Cli.Daemon;

/// <summary>
/// Starts <c>berth serve</c> as a background daemon for a data dir and waits until it is usable; stops it by pid.
/// </summary>
internal static class DaemonLauncher
{
    /// <summary>
    /// Starts serve in its own session (<c>setsid</c>: no controlling terminal, so closing the terminal or Ctrl+C in
    /// it does not reach the daemon), stdin from /dev/null, stdout and stderr appended to DATA/berth.log.
    /// Returns the pid of the started process (serve itself: <c>exec setsid</c> keeps the pid when the shell is
    /// not a process group leader).
    /// </summary>
    public static int Start(DaemonFiles files, IReadOnlyList<string> serveArgs)
    {
        Directory.CreateDirectory(files.DataDir);
        File.AppendAllText(files.LogFile,
            $"--- {DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} berth up: starting berth serve\n");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec setsid \"$@\" </dev/null >>\"$0\" 2>&1");
        start.ArgumentList.Add(files.LogFile);
        foreach (var arg in SelfCommand())
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(files.DataDir);
        foreach (var arg in serveArgs)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start berth serve");
        return process.Id;
    }

    /// <summary>How to run this same berth binary: the native (Native AOT) binary or the apphost, or <c>dotnet berth.dll</c> when run through dotnet.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell where the berth binary is");
        return Path.GetFileNameWithoutExtension(exe) == "dotnet"
            ? [exe, Path.Combine(AppContext.BaseDirectory, "berth.dll")]
            : [exe];
    }

    /// <summary>
    /// Waits until a live serve holds the data dir and its kubeconfig's /readyz answers 200. Fails (with the log's
    /// tail) when the process we started exits and no other serve took its place.
    /// </summary>
    public static async Task<(int Pid, BerthApi Api)> WaitReadyAsync(DaemonFiles files, int? started, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var live = files.ReadLivePid();
            if (live is { } pid && BerthApi.TryOpen(files.Kubeconfig) is { } api)
            {
                if (await api.IsReadyAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (pid, api);
                }

                api.Dispose();
            }
            else if (live is null && started is { } child && !DaemonFiles.IsAlive(child))
            {
                throw new DaemonFailedException($"berth serve exited before it was ready; the end of {files.LogFile}:\n{Tail(files.LogFile, 20)}");
            }

            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// SIGTERM, then waits up to <paramref name="grace"/> for the process to exit (serve stops its pods on the way
    /// out), then SIGKILL. Returns whether it had to kill.
    /// </summary>
    public static async Task<bool> StopAsync(int pid, TimeSpan grace, CancellationToken cancellationToken)
    {
        Signal(pid, Berth.Node.Runtime.LinuxNative.SigTerm);
        if (await WaitExitAsync(pid, grace, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Signal(pid, Berth.Node.Runtime.LinuxNative.SigKill);
        await WaitExitAsync(pid, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static async Task<bool> WaitExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (DaemonFiles.IsAlive(pid))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    public static string Tail(string path, int lines)
    {
        try
        {
            var all = File.ReadAllLines(path);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "(no log)";
        }
    }

    private static void Signal(int pid, int signal)
    {
        // ESRCH (already gone) is the outcome we want; anything else shows up as the process not exiting.
        _ = Berth.Node.Runtime.LinuxNative.kill(pid, signal);
    }
}
