using Berth.Node.Metrics;

namespace Berth.Node.Tests.Metrics;

public sealed class CgroupStatsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-cgroup-stats-").FullName;

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return Path.GetDirectoryName(path)!;
    }

    [Fact]
    public void A_v1_group_reports_cpuacct_usage_and_usage_minus_total_inactive_file()
    {
        // memory.stat lists the group's own inactive_file first and the hierarchical total_ one later; cAdvisor uses total_.
        var memory = Write("memory/berth/run/c/memory.stat", "cache 4096\ninactive_file 999\nactive_file 1\ntotal_inactive_file 12582912\n");
        Write("memory/berth/run/c/memory.usage_in_bytes", "62914560\n");
        var cpuacct = Write("cpuacct/berth/run/c/cpuacct.usage", "1130000000\n");

        var stats = CgroupStats.ReadV1(memory, cpuacct);

        Assert.Equal(new ContainerStats(1_130_000_000, 62_914_560 - 12_582_912), stats);
    }

    [Fact]
    public void A_v2_group_reports_usage_usec_in_nanoseconds_and_memory_current_minus_inactive_file()
    {
        var dir = Write("berth/run/c/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n");
        Write("berth/run/c/memory.current", "10485760\n");
        Write("berth/run/c/memory.stat", "anon 8388608\nfile 2097152\nactive_file 1048576\ninactive_file 1048576\n");

        var stats = CgroupStats.ReadV2(dir);

        Assert.Equal(new ContainerStats(2_500_000_000, 10_485_760 - 1_048_576), stats);
    }

    [Fact]
    public void The_working_set_is_the_whole_usage_when_inactive_file_is_not_below_it()
    {
        var dir = Write("v2/memory.current", "4096\n");
        Write("v2/memory.stat", "inactive_file 8192\n");
        Write("v2/cpu.stat", "usage_usec 1\n");

        Assert.Equal(4096, CgroupStats.ReadV2(dir)!.Value.WorkingSetBytes);
    }

    [Fact]
    public void A_group_removed_with_its_container_has_no_figures()
    {
        Assert.Null(CgroupStats.ReadV1(Path.Combine(_dir, "gone"), Path.Combine(_dir, "gone")));
        Assert.Null(CgroupStats.ReadV2(Path.Combine(_dir, "gone")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
