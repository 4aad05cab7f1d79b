using System.Diagnostics;
using System.Globalization;

namespace Berth.Cli.Daemon;

/// <summary>
/// The files of a data dir that say whether a <c>berth serve</c> runs for it: <c>berth.pid</c> (written by serve
/// itself at start, removed when it exits), <c>berth.log</c> (the daemon's output when <c>berth up</c> started it)
/// and <c>kubeconfig</c> (written once /readyz answers 200).
/// </summary>
internal sealed class DaemonFiles
{
    public DaemonFiles(string dataDir)
    {
        DataDir = dataDir;
    }

    public string DataDir { get; }

    public string PidFile => Path.Combine(DataDir, "berth.pid");

    public string LogFile => Path.Combine(DataDir, "berth.log");

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig");

    /// <summary>The pid the pid file names, whether or not that process still runs; null without a readable file.</summary>
    public int? ReadPid()
    {
        try
        {
            var text = File.ReadAllText(PidFile).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The pid of the live <c>berth serve</c> the pid file names, or null. A pid file is stale when its process is
    /// gone, is not a berth serve, or started after the file was written (the pid was reused).
    /// </summary>
    public int? ReadLivePid()
    {
        if (ReadPid() is not { } pid)
        {
            return null;
        }

        DateTime written;
        try
        {
            written = File.GetLastWriteTimeUtc(PidFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return IsBerthServe(pid, written) ? pid : null;
    }

    /// <summary>
    /// Whether <paramref name="pid"/> is a running (not zombie) <c>berth serve</c> that started no later than
    /// <paramref name="notAfterUtc"/> (with a little slack: /proc start times are computed from the boot time).
    /// </summary>
    public static bool IsBerthServe(int pid, DateTime notAfterUtc)
    {
        if (!IsAlive(pid))
        {
            return false;
        }

        var args = CommandLine(pid);
        if (args is null || !args.Contains("serve", StringComparer.Ordinal)
            || !args.Any(a => Path.GetFileName(a) is "berth" or "berth.dll"))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime() <= notAfterUtc.AddSeconds(2);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Whether the process exists and is not a zombie (a zombie has exited; only its parent has not reaped it).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S ...": the state follows the last ')' (comm may itself contain parentheses).
            var close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The process's argv from /proc/PID/cmdline; null when it cannot be read.</summary>
    public static string[]? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The value of <c>--name VALUE</c> or <c>--name=VALUE</c> in a command line; null when absent.</summary>
    public static string? OptionValue(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == name && i + 1 < args.Count)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }
}
