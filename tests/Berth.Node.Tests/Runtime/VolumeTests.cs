using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Runtime;

public sealed class VolumeTests(RuntimeFixture fixture) : IDisposable
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private readonly string _pv = Directory.CreateTempSubdirectory("berth-pv-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_pv, recursive: true);

    private static V1Pod PodWithVolumes(string script, string? subPath = null)
    {
        var c = TestPods.Busybox("main", script);
        c.VolumeMounts =
        [
            new V1VolumeMount { Name = "data", MountPath = "/var/lib/newthing/data", SubPath = subPath },
            new V1VolumeMount { Name = "scratch", MountPath = "/scratch" },
        ];
        var pod = TestPods.Pod("vol-0", c);
        pod.Spec.Volumes = [new V1Volume { Name = "data" }, new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }];
        return pod;
    }

    [Fact]
    public async Task A_file_on_a_bound_volume_survives_pod_recreation_while_an_emptyDir_does_not()
    {
        var first = PodWithVolumes("echo kept > /var/lib/newthing/data/f; echo lost > /scratch/f; echo written");
        var sources = new Dictionary<string, string> { ["data"] = _pv };
        var sandbox = await _runtime.RunPodSandboxAsync(first, sources, Ct);
        var emptyDir = sandbox.VolumeDirectories["scratch"];
        var c = await _runtime.StartContainerAsync(sandbox, first.Spec.Containers[0], [], 0, Ct);
        Assert.Equal(0, (await c.Exited.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ExitCode);
        Assert.True(File.Exists(Path.Combine(emptyDir, "f")));
        await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        Assert.False(Directory.Exists(emptyDir));

        var second = PodWithVolumes("cat /var/lib/newthing/data/f; ls /scratch | wc -l");
        sandbox = await _runtime.RunPodSandboxAsync(second, sources, Ct);
        try
        {
            c = await _runtime.StartContainerAsync(sandbox, second.Spec.Containers[0], [], 0, Ct);
            await c.Exited.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(["kept", "0"], TestPods.LogLines(c.LogPath).Select(l => l.Trim()));
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        }

        Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(_pv, "f"), Ct));
    }

    [Theory]
    [InlineData("../outside", "must not contain '..'")]
    [InlineData("a/../../outside", "must not contain '..'")]
    [InlineData("/etc", "must be a relative path")]
    [InlineData("link/inner", "is not within the volume path")]
    public async Task A_subPath_that_escapes_its_volume_is_refused_and_nothing_is_written_outside(string subPath, string expected)
    {
        var outside = Directory.CreateTempSubdirectory("berth-outside-").FullName;
        File.CreateSymbolicLink(Path.Combine(_pv, "link"), outside);
        var pod = PodWithVolumes("echo escaped > /var/lib/newthing/data/x", subPath);
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string> { ["data"] = _pv }, Ct);
        try
        {
            var e = await Assert.ThrowsAsync<ContainerStartException>(
                () => _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct));
            Assert.Equal(ContainerReasons.CreateContainerConfigError, e.Reason);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(_pv)!, "outside")));
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_subPath_inside_the_volume_is_created_and_mounted()
    {
        var pod = PodWithVolumes("echo sub > /var/lib/newthing/data/x", "nested/dir");
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string> { ["data"] = _pv }, Ct);
        try
        {
            var c = await _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct);
            Assert.Equal(0, (await c.Exited.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ExitCode);
            Assert.Equal("sub\n", await File.ReadAllTextAsync(Path.Combine(_pv, "nested", "dir", "x"), Ct));
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        }
    }

    [Theory]
    [InlineData("/usr")]
    [InlineData("/etc")]
    [InlineData("/proc/sys")]
    [InlineData("/")]
    public async Task A_mountPath_over_a_system_path_is_refused(string mountPath)
    {
        var pod = PodWithVolumes("true");
        pod.Spec.Containers[0].VolumeMounts[0].MountPath = mountPath;
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string> { ["data"] = _pv }, Ct);
        try
        {
            var e = await Assert.ThrowsAsync<ContainerStartException>(
                () => _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct));
            Assert.Equal(ContainerReasons.CreateContainerConfigError, e.Reason);
            Assert.Contains("system path", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        }
    }

    [Fact]
    public async Task A_readOnly_mount_cannot_be_written()
    {
        var pod = PodWithVolumes("echo nope > /var/lib/newthing/data/ro 2>&1; echo rc=$?");
        pod.Spec.Containers[0].VolumeMounts[0].ReadOnlyProperty = true;
        var sandbox = await _runtime.RunPodSandboxAsync(pod, new Dictionary<string, string> { ["data"] = _pv }, Ct);
        try
        {
            var c = await _runtime.StartContainerAsync(sandbox, pod.Spec.Containers[0], [], 0, Ct);
            await c.Exited.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Contains("rc=1", TestPods.LogLines(c.LogPath));
            Assert.False(File.Exists(Path.Combine(_pv, "ro")));
        }
        finally
        {
            await _runtime.RemovePodSandboxAsync(sandbox, Ct);
        }
    }
}
