using System.Globalization;

namespace Berth.Node.Runtime;

/// <summary>Walks /proc for a process's descendants (nsenter forks the command into the pod's PID namespace).</summary>
internal static class ProcessTree
{
    /// <summary>SIGKILL to the process and every descendant, children first found, so none is re-parented unseen.</summary>
    public static void Kill(int pid)
    {
        var all = new List<int>();
        Collect(pid, all, depth: 0);
        foreach (var p in all)
        {
            LinuxNative.Signal(p, LinuxNative.SigKill);
        }
    }

    private static void Collect(int pid, List<int> into, int depth)
    {
        into.Add(pid);
        if (depth > 64)
        {
            return;
        }

        foreach (var child in Children(pid))
        {
            Collect(child, into, depth + 1);
        }
    }

    public static IEnumerable<int> Children(int pid)
    {
        string text;
        try
        {
            text = string.Concat(Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(t => SafeRead(Path.Combine(t, "children")) + " "));
        }
        catch (IOException)
        {
            return [];
        }

        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0)
            .Where(c => c > 0)
            .ToList();
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
