using System.Globalization;
using Berth.Node.Runtime;

namespace Berth.Node.Metrics;

/// <summary>
/// Figures from /proc, for containers without a cgroup (no limits, or a host that lets Berth create none) and for the
/// node. A container's processes are those in its PID namespace (runtime-probe.md §8: this also catches the
/// processes kubectl exec starts, which are not descendants of the container's PID 1).
/// </summary>
internal sealed class ProcStats
{
    private const int ScClockTicks = 2; // _SC_CLK_TCK in glibc's <bits/confname.h>
    private readonly string _root;
    private readonly long _nanosecondsPerTick;

    /// <param name="root">/proc, or a directory laid out like it (tests).</param>
    /// <param name="clockTicksPerSecond">USER_HZ, the unit of /proc/stat and /proc/PID/stat times; sysconf's by default.</param>
    public ProcStats(string root = "/proc", long? clockTicksPerSecond = null)
    {
        _root = root;
        var hz = clockTicksPerSecond ?? LinuxNative.sysconf(ScClockTicks);
        _nanosecondsPerTick = 1_000_000_000 / (hz > 0 ? hz : 100);
    }

    /// <summary>The process's PID namespace ("pid:[4026532281]", the ns/pid link), or null when it is gone.</summary>
    public string? PidNamespace(int pid)
    {
        try
        {
            return new FileInfo(Path.Combine(_root, pid.ToString(CultureInfo.InvariantCulture), "ns", "pid")).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every process, grouped by PID namespace: one pass over /proc serves every container of a request.</summary>
    public Dictionary<string, List<int>> ProcessesByPidNamespace()
    {
        var result = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || PidNamespace(pid) is not { } ns)
            {
                continue;
            }

            if (!result.TryGetValue(ns, out var pids))
            {
                result[ns] = pids = [];
            }

            pids.Add(pid);
        }

        return result;
    }

    /// <summary>
    /// The summed figures of these processes (those gone meanwhile count nothing). CPU is each process's own time
    /// plus that of the children it reaped (utime, stime, cutime, cstime), so work done by short-lived children, a
    /// shell loop's commands, stays counted after they exit. Memory is the proportional set size (Pss of
    /// smaps_rollup): summed RSS would count shared pages (postgres' shared buffers) once per process.
    /// </summary>
    public ContainerStats ReadProcesses(IEnumerable<int> pids)
    {
        long ticks = 0;
        long memory = 0;
        foreach (var pid in pids)
        {
            var dir = Path.Combine(_root, pid.ToString(CultureInfo.InvariantCulture));
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, so
                // utime (14), stime (15), cutime (16) and cstime (17) are at 11..14 here (proc(5)).
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                for (var i = 11; i <= 14; i++)
                {
                    ticks += long.Parse(fields[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                }

                memory += ProportionalSetSize(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException
                or ArgumentOutOfRangeException)
            {
            }
        }

        return new ContainerStats(ticks * _nanosecondsPerTick, memory);
    }

    /// <summary>
    /// The node's figures. CPU: the non-idle time of the "cpu" line of /proc/stat (user, nice, system, irq, softirq,
    /// steal; guest time is already inside user), the host-wide counterpart of the root cgroup's usage the kubelet
    /// reports. Memory: what runc's rootStatsFromMeminfo and cAdvisor make of the root cgroup, usage = MemTotal -
    /// MemFree, working set = usage - Inactive(file).
    /// </summary>
    public ContainerStats? ReadNode()
    {
        try
        {
            var cpu = File.ReadLines(Path.Combine(_root, "stat")).First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            foreach (var i in (int[])[1, 2, 3, 6, 7, 8])
            {
                busy += i < cpu.Length ? long.Parse(cpu[i], NumberStyles.None, CultureInfo.InvariantCulture) : 0;
            }

            long total = 0, free = 0, inactiveFile = 0;
            foreach (var line in File.ReadLines(Path.Combine(_root, "meminfo")))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                switch (line[..colon])
                {
                    case "MemTotal":
                        total = Kilobytes(line, colon);
                        break;
                    case "MemFree":
                        free = Kilobytes(line, colon);
                        break;
                    case "Inactive(file)":
                        inactiveFile = Kilobytes(line, colon);
                        break;
                }
            }

            var usage = total - free;
            return new ContainerStats(busy * _nanosecondsPerTick, inactiveFile < usage ? usage - inactiveFile : usage);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static long ProportionalSetSize(string dir)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(dir, "smaps_rollup")))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    return Kilobytes(line, 3);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        // No smaps_rollup (kernels before 4.14, kernel threads): the resident set of statm, in pages.
        var statm = File.ReadAllText(Path.Combine(dir, "statm")).Split(' ');
        return long.Parse(statm[1], NumberStyles.None, CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    // "Pss:                 172 kB", "MemTotal:       16384000 kB": the number after the colon, in KiB.
    private static long Kilobytes(string line, int colon) =>
        long.Parse(line.AsSpan(colon + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
}
