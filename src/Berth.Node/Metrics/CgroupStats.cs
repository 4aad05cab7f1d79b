using System.Globalization;

namespace Berth.Node.Metrics;

/// <summary>
/// A container's figures from its cgroup, the files cAdvisor (inside the kubelet) reads for the summary API that
/// metrics-server scrapes: cumulative CPU from cpuacct.usage (v1, nanoseconds) or cpu.stat usage_usec (v2), and the
/// working set as cAdvisor computes container_memory_working_set_bytes: usage (memory.usage_in_bytes, v1;
/// memory.current, v2) minus inactive file pages (total_inactive_file, v1; inactive_file, v2), never below zero.
/// </summary>
internal static class CgroupStats
{
    /// <summary>The figures of a v1 group (memory and cpuacct hierarchies), or null when the group is gone.</summary>
    public static ContainerStats? ReadV1(string memoryDirectory, string cpuacctDirectory)
    {
        try
        {
            var cpu = ReadNumber(Path.Combine(cpuacctDirectory, "cpuacct.usage"));
            var usage = ReadNumber(Path.Combine(memoryDirectory, "memory.usage_in_bytes"));
            var inactive = StatValue(Path.Combine(memoryDirectory, "memory.stat"), "total_inactive_file");
            return new ContainerStats(cpu, WorkingSet(usage, inactive));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The figures of a v2 group, or null when the group is gone.</summary>
    public static ContainerStats? ReadV2(string directory)
    {
        try
        {
            var cpuMicros = StatValue(Path.Combine(directory, "cpu.stat"), "usage_usec")
                ?? throw new FormatException("cpu.stat has no usage_usec");
            var usage = ReadNumber(Path.Combine(directory, "memory.current"));
            var inactive = StatValue(Path.Combine(directory, "memory.stat"), "inactive_file");
            return new ContainerStats(cpuMicros * 1000, WorkingSet(usage, inactive));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    // cAdvisor: workingSet = usage; if inactive_file < usage { workingSet -= inactive_file }.
    private static long WorkingSet(long usage, long? inactiveFile) =>
        inactiveFile is { } inactive && inactive < usage ? usage - inactive : usage;

    private static long ReadNumber(string path) => long.Parse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The value of a "key value" line of a stat file (memory.stat, cpu.stat), or null without one.</summary>
    internal static long? StatValue(string path, string key)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length > key.Length && line[key.Length] == ' ' && line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(key.Length + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
