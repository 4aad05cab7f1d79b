using System.Text;
using Berth.Node.Volumes;

namespace Berth.Node.Tests.Volumes;

public sealed class AtomicWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("berth-atomic-").FullName, "vol");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    private static Dictionary<string, VolumeFile> Payload(params (string Path, string Content, int Mode)[] files) =>
        files.ToDictionary(f => f.Path, f => new VolumeFile(Encoding.UTF8.GetBytes(f.Content), f.Mode));

    [Fact]
    public void Files_are_symlinks_through_data_to_a_timestamped_directory_with_their_modes()
    {
        AtomicWriter.Write(_dir, Payload(("greeting", "hello", 0b110_100_100), ("conf/app.yaml", "a: 1", 0b100_000_000)), TimeProvider.System);

        var data = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget;
        Assert.NotNull(data);
        Assert.StartsWith("..", data, StringComparison.Ordinal);
        Assert.Equal(Path.Combine("..data", "greeting"), new FileInfo(Path.Combine(_dir, "greeting")).LinkTarget);
        Assert.Equal(Path.Combine("..data", "conf"), new DirectoryInfo(Path.Combine(_dir, "conf")).LinkTarget);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_dir, "greeting")));
        Assert.Equal("a: 1", File.ReadAllText(Path.Combine(_dir, "conf", "app.yaml")));
        Assert.Equal((UnixFileMode)0b100_000_000, File.GetUnixFileMode(Path.Combine(_dir, data, "conf", "app.yaml")));
    }

    [Fact]
    public void An_update_swaps_the_whole_set_and_removes_what_is_gone()
    {
        AtomicWriter.Write(_dir, Payload(("a", "1", 420), ("b", "2", 420)), TimeProvider.System);
        var first = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        AtomicWriter.Write(_dir, Payload(("a", "one", 420), ("c", "3", 420)), TimeProvider.System);
        var second = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(Path.Combine(_dir, first)));
        Assert.Equal("one", File.ReadAllText(Path.Combine(_dir, "a")));
        Assert.Equal("3", File.ReadAllText(Path.Combine(_dir, "c")));
        Assert.False(Path.Exists(Path.Combine(_dir, "b")));
        Assert.Equal(new HashSet<string?> { "..data", "a", "c", second }, Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).ToHashSet());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("..data")]
    public void A_path_that_leaves_the_volume_is_refused_before_anything_is_written(string path)
    {
        Assert.Throws<InvalidDataException>(() => AtomicWriter.Write(_dir, Payload((path, "x", 420)), TimeProvider.System));
        Assert.False(Directory.Exists(_dir));
    }
}
