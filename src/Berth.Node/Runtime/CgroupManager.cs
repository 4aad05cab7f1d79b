using System.Globalization;
using k8s.Models;

namespace Berth.Node.Runtime;

/// <summary>
/// Best-effort resource limits from resources.limits (DESIGN.md "Runtime"): cgroup v2 when its memory and cpu
/// controllers are usable, else the v1 memory/cpu/pids hierarchies (runtime-probe.md §8 found this machine in
/// hybrid mode with v2 limits unusable). One group per container under <c>berth/&lt;run&gt;</c>; when neither is
/// writable, limits are skipped and the caller is told so.
/// </summary>
internal sealed class CgroupManager
{
    private const string Root = "/sys/fs/cgroup";
    // cpuacct holds the CPU usage kubectl top reports (cpuacct.usage); it is a hierarchy of its own on this machine
    // (runtime-probe.md §8) and the same directory as cpu where the two are co-mounted ("cpu,cpuacct").
    private static readonly string[] V1Controllers = SeparateCpuAccounting() ? ["memory", "cpu", "pids", "cpuacct"] : ["memory", "cpu", "pids"];
    private readonly bool _v2;
    private readonly string _relative;

    private CgroupManager(bool v2, string runId)
    {
        _v2 = v2;
        _relative = $"berth/{runId}";
    }

    public string Version => _v2 ? "v2" : "v1";

    /// <summary>The usable hierarchy, or null when this host lets us set no limits.</summary>
    public static CgroupManager? Detect(string runId)
    {
        try
        {
            var controllers = File.Exists($"{Root}/cgroup.controllers") ? File.ReadAllText($"{Root}/cgroup.controllers") : "";
            if (controllers.Contains("memory", StringComparison.Ordinal) && controllers.Contains("cpu", StringComparison.Ordinal))
            {
                var manager = new CgroupManager(true, runId);
                Directory.CreateDirectory($"{Root}/berth");
                File.WriteAllText($"{Root}/cgroup.subtree_control", "+memory +cpu +pids");
                File.WriteAllText($"{Root}/berth/cgroup.subtree_control", "+memory +cpu +pids");
                Directory.CreateDirectory($"{Root}/{manager._relative}");
                File.WriteAllText($"{Root}/{manager._relative}/cgroup.subtree_control", "+memory +cpu +pids");
                return manager;
            }

            if (Directory.Exists($"{Root}/memory") && Directory.Exists($"{Root}/cpu"))
            {
                var manager = new CgroupManager(false, runId);
                foreach (var c in V1Controllers)
                {
                    Directory.CreateDirectory($"{Root}/{c}/{manager._relative}");
                }

                return manager;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Creates a group with the container's limits; null when it has none (no group is needed then).</summary>
    public CgroupHandle? Create(string name, V1ResourceRequirements? resources)
    {
        var limits = resources?.Limits;
        if (limits is null || (!limits.ContainsKey("memory") && !limits.ContainsKey("cpu")))
        {
            return null;
        }

        long? memory = limits.TryGetValue("memory", out var m) ? m.ToInt64() : null;
        long? cpuMillis = limits.TryGetValue("cpu", out var c) ? (long)Math.Ceiling(c.ToDecimal() * 1000) : null;
        const long period = 100_000;
        var dirs = new List<string>();
        if (_v2)
        {
            var dir = $"{Root}/{_relative}/{name}";
            Directory.CreateDirectory(dir);
            dirs.Add(dir);
            if (memory is { } mem)
            {
                File.WriteAllText($"{dir}/memory.max", mem.ToString(CultureInfo.InvariantCulture));
                // Without swap accounting a limited container would swap instead of being OOM-killed.
                TryWrite($"{dir}/memory.swap.max", "0");
            }

            if (cpuMillis is { } cpu)
            {
                File.WriteAllText($"{dir}/cpu.max", $"{Math.Max(1000, cpu * period / 1000)} {period}");
            }

            return new CgroupHandle(dirs, [$"{dir}/cgroup.procs"], $"{dir}/memory.events") { V2 = true, MemoryDirectory = dir, CpuDirectory = dir };
        }

        foreach (var controller in V1Controllers)
        {
            var dir = $"{Root}/{controller}/{_relative}/{name}";
            Directory.CreateDirectory(dir);
            dirs.Add(dir);
        }

        var memoryDir = dirs[0];
        if (memory is { } bytes)
        {
            File.WriteAllText($"{memoryDir}/memory.limit_in_bytes", bytes.ToString(CultureInfo.InvariantCulture));
            TryWrite($"{memoryDir}/memory.memsw.limit_in_bytes", bytes.ToString(CultureInfo.InvariantCulture));
        }

        if (cpuMillis is { } millis)
        {
            File.WriteAllText($"{dirs[1]}/cpu.cfs_period_us", period.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText($"{dirs[1]}/cpu.cfs_quota_us", Math.Max(1000, millis * period / 1000).ToString(CultureInfo.InvariantCulture));
        }

        return new CgroupHandle(dirs, [.. dirs.Select(d => $"{d}/cgroup.procs")], $"{memoryDir}/memory.oom_control")
        {
            MemoryDirectory = memoryDir,
            CpuDirectory = dirs.Count > 3 ? dirs[3] : dirs[1],
        };
    }

    /// <summary>Removes the run's parent groups (children are removed with their containers).</summary>
    public void RemoveRun()
    {
        // The shared "berth" parent goes too once no other run uses it (rmdir fails while it has children).
        if (_v2)
        {
            TryRemove($"{Root}/{_relative}");
            TryRemove($"{Root}/berth");
            return;
        }

        foreach (var c in V1Controllers)
        {
            TryRemove($"{Root}/{c}/{_relative}");
            TryRemove($"{Root}/{c}/berth");
        }
    }

    /// <summary>
    /// Removes the groups of runs whose process is gone (a crash leaves them; their processes died with the runtime's
    /// spawner thread). <paramref name="liveRuns"/> are the run ids with a live owner in /run/berth/runs.
    /// </summary>
    public static void RemoveDeadRuns(IReadOnlySet<string> liveRuns)
    {
        var parents = new List<string> { $"{Root}/berth" };
        parents.AddRange(V1Controllers.Select(c => $"{Root}/{c}/berth"));
        foreach (var parent in parents.Where(Directory.Exists))
        {
            try
            {
                foreach (var run in Directory.EnumerateDirectories(parent))
                {
                    if (liveRuns.Contains(Path.GetFileName(run)))
                    {
                        continue;
                    }

                    foreach (var group in Directory.EnumerateDirectories(run))
                    {
                        TryRemove(group);
                    }

                    TryRemove(run);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool SeparateCpuAccounting()
    {
        try
        {
            return Directory.Exists($"{Root}/cpuacct") && !File.Exists($"{Root}/cpu/cpuacct.usage");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    internal static void TryRemove(string dir)
    {
        try
        {
            // A cgroup directory is removed with rmdir only; its files are virtual.
            Directory.Delete(dir, recursive: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
