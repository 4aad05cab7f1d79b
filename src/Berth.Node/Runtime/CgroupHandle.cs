namespace Berth.Node.Runtime;

/// <summary>A container's cgroup: the directories to remove, the files a process writes itself into, the OOM counter.</summary>
internal sealed record CgroupHandle(IReadOnlyList<string> Directories, IReadOnlyList<string> ProcsFiles, string OomFile)
{
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
