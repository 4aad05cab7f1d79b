using Berth.Node.Metrics;

namespace Berth.Node.Tests.Metrics;

public sealed class ProcStatsTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("berth-proc-stats-").FullName;

    /// <summary>A fake /proc/PID: its ns/pid link, stat with these times (in ticks), and a Pss or a statm RSS.</summary>
    private void Process(int pid, string pidNamespace, string command, long utime, long stime, long cutime, long cstime,
        long? pssKb = null, long? rssPages = null)
    {
        var dir = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "ns"));
        File.CreateSymbolicLink(Path.Combine(dir, "ns", "pid"), pidNamespace);
        File.WriteAllText(Path.Combine(dir, "stat"),
            $"{pid} ({command}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0 500 1000000 200 18446744073709551615\n");
        if (pssKb is { } pss)
        {
            File.WriteAllText(Path.Combine(dir, "smaps_rollup"),
                $"55d0-7ffe ---p 00000000 00:00 0    [rollup]\nRss:                {pss * 2} kB\nPss:                 {pss} kB\nPss_Anon:            {pss} kB\n");
        }

        File.WriteAllText(Path.Combine(dir, "statm"), $"1000 {rssPages ?? 0} 50 10 0 100 0\n");
    }

    [Fact]
    public void Processes_are_grouped_by_pid_namespace_and_summed_with_the_time_of_reaped_children()
    {
        Process(24520, "pid:[4026532281]", "bwrap", 1, 2, 30, 40, pssKb: 100);
        // A command name with spaces and a parenthesis must not shift the fields.
        Process(24522, "pid:[4026532281]", "my (odd) cmd", 100, 50, 0, 0, pssKb: 2048);
        Process(300, "pid:[4026531836]", "systemd", 999, 999, 999, 999, pssKb: 9999);
        Directory.CreateDirectory(Path.Combine(_proc, "self"));
        var proc = new ProcStats(_proc, clockTicksPerSecond: 100);

        var byNamespace = proc.ProcessesByPidNamespace();
        Assert.Equal("pid:[4026532281]", proc.PidNamespace(24520));
        Assert.Equal([24520, 24522], byNamespace["pid:[4026532281]"].Order());
        Assert.Equal([300], byNamespace["pid:[4026531836]"]);

        var stats = proc.ReadProcesses(byNamespace["pid:[4026532281]"]);
        // (1 + 2 + 30 + 40 + 100 + 50) ticks of 10 ms; Pss 100 KiB + 2048 KiB.
        Assert.Equal(new ContainerStats(223 * 10_000_000L, (100 + 2048) * 1024L), stats);
    }

    [Fact]
    public void Without_smaps_rollup_memory_is_the_resident_set_of_statm_and_gone_processes_count_nothing()
    {
        Process(7, "pid:[1]", "sh", 5, 5, 0, 0, rssPages: 3);
        var stats = new ProcStats(_proc, clockTicksPerSecond: 100).ReadProcesses([7, 8]);

        Assert.Equal(new ContainerStats(10 * 10_000_000L, 3L * Environment.SystemPageSize), stats);
    }

    [Fact]
    public void The_node_reports_non_idle_cpu_time_and_memtotal_minus_memfree_minus_inactive_file()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice
        File.WriteAllText(Path.Combine(_proc, "stat"),
            "cpu  1000 20 300 50000 400 5 6 7 100 0\ncpu0 500 10 150 25000 200 2 3 3 50 0\nintr 1 2 3\n");
        File.WriteAllText(Path.Combine(_proc, "meminfo"),
            "MemTotal:        8000000 kB\nMemFree:         3000000 kB\nMemAvailable:    6000000 kB\nBuffers:          100000 kB\n" +
            "Inactive(anon):    10000 kB\nInactive(file):  1000000 kB\n");

        var stats = new ProcStats(_proc, clockTicksPerSecond: 100).ReadNode();

        // user + nice + system + irq + softirq + steal (iowait and idle are idle; guest is inside user).
        Assert.Equal((1000 + 20 + 300 + 5 + 6 + 7) * 10_000_000L, stats!.Value.CpuNanoseconds);
        Assert.Equal((8_000_000 - 3_000_000 - 1_000_000) * 1024L, stats.Value.WorkingSetBytes);
    }

    public void Dispose() => Directory.Delete(_proc, recursive: true);
}
