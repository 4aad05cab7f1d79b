namespace Berth.Node.Runtime;

/// <summary>A container's cgroup: the directories to remove, the files a process writes itself into, the OOM counter.</summary>
internal sealed record CgroupHandle(IReadOnlyList<string> Directories, IReadOnlyList<string> ProcsFiles, string OomFile)
{
    /// <summary>A unified (v2) group: one directory with memory.current, memory.stat and cpu.stat.</summary>
    public bool V2 { get; init; }

    /// <summary>Where memory usage is read: memory.usage_in_bytes (v1) or memory.current (v2), and memory.stat.</summary>
    public string MemoryDirectory { get; init; } = "";

    /// <summary>Where cumulative CPU usage is read: cpuacct.usage (v1, the cpuacct hierarchy) or cpu.stat (v2).</summary>
    public string CpuDirectory { get; init; } = "";

    /// <summary>
    /// A shell script that writes its own PID into every group and then executes its arguments, so the process and
    /// every descendant start inside the group (runtime-probe.md §8: joining after exec would miss forked children).
    /// </summary>
    public string JoinThenExecScript => string.Join("; ", ProcsFiles.Select(f => $"echo $$ > '{f}'")) + "; exec \"$@\"";

    /// <summary>The kernel's count of OOM kills in this group ("oom_kill N" in memory.events or memory.oom_control).</summary>
    public long OomKills()
    {
        try
        {
            foreach (var line in File.ReadLines(OomFile))
            {
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(9), out var n))
                {
                    return n;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    public void Remove()
    {
        foreach (var d in Directories)
        {
            CgroupManager.TryRemove(d);
        }
    }
}
