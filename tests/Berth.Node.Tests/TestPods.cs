using k8s.Models;

namespace Berth.Node.Tests;

internal static class TestPods
{
    public static V1Pod Pod(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new V1PodSpec { Containers = [.. containers], Volumes = [] },
    };

    public static V1Container Busybox(string name, string script) => new()
    {
        Name = name,
        Image = "busybox:1.36",
        Command = ["sh", "-c", script],
    };

    /// <summary>The content column of the CRI log file records.</summary>
    public static string[] LogLines(string path) =>
        File.Exists(path)
            ? [.. File.ReadAllLines(path).Select(l => l.Split(' ', 4)).Where(p => p.Length == 4).Select(p => p[3])]
            : [];

    public static async Task<string[]> WaitForLogAsync(string path, Func<string[], bool> done, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var lines = LogLines(path);
            if (done(lines) || DateTime.UtcNow > until)
            {
                return lines;
            }

            await Task.Delay(20);
        }
    }
}
