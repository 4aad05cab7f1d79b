namespace Berth.Cli.Tests;

public sealed class DownCommandTests
{
    [Fact]
    public void Mounts_under_a_directory_come_from_mountinfo_deepest_first()
    {
        var proc = DownCommand.MountsUnder("/proc");
        var none = DownCommand.MountsUnder(Directory.CreateTempSubdirectory("berth-nomounts-").FullName);

        Assert.Contains("/proc", proc);
        Assert.Equal(proc.OrderByDescending(p => p.Length), proc);
        Assert.Empty(none);
    }
}
