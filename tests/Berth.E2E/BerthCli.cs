namespace Berth.E2E;

/// <summary>
/// Runs the <c>berth</c> CLI (<see cref="BerthBinary"/>) as a user would, with its own data dir and a free
/// loopback port. Disposal stops whatever daemon the data dir's pid file names (by pid) and removes the data dir.
/// </summary>
public sealed class BerthCli : IAsyncDisposable
{
    // Cluster DNS of the servers `berth up` starts must not forward test pods' lookups to the machine's resolvers.
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal) { ["BERTH_DNS_FORWARD"] = "none" };

    public BerthCli()
    {
        DataDir = Directory.CreateTempSubdirectory("berth-up-").FullName;
        Port = FreePort();
    }

    public string DataDir { get; }

    public int Port { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig");

    public string PidFile => Path.Combine(DataDir, "berth.pid");

    /// <summary>The repository's examples/ directory (found from the test binaries upwards).</summary>
    public static string Examples
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
                {
                    return Path.Combine(dir.FullName, "examples");
                }
            }

            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public int? DaemonPid => File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid) ? pid : null;

    public void SetEnvironment(string name, string value) => _environment[name] = value;

    /// <summary>berth up with this test's data dir and port, on the simulated runtime (unless given), plain output.</summary>
    public Task<KubectlResult> UpAsync(string arguments, int timeoutSeconds = 120, string runtime = "simulated") =>
        RunAsync($"up {arguments} --data-dir {DataDir} --listen 127.0.0.1:{Port} --runtime {runtime}", timeoutSeconds);

    public Task<KubectlResult> RunAsync(string arguments, int timeoutSeconds = 120) =>
        RunProcessAsync(Kubectl.Split(arguments), timeoutSeconds);

    private Task<KubectlResult> RunProcessAsync(IEnumerable<string> arguments, int timeoutSeconds)
    {
        var (fileName, prefix) = BerthBinary.Command();
        var start = ProcessRunner.StartInfo(fileName, [.. prefix, .. arguments]);
        foreach (var (k, v) in _environment)
        {
            start.Environment[k] = v;
        }

        return ProcessRunner.RunAsync(start, stdin: null, timeoutSeconds);
    }

    /// <summary>Whether the process exists and is not a zombie (what /proc says, by pid).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL by pid (a daemon dying under a test), then waits until /proc says it is gone.</summary>
    public static void KillNow(int pid)
    {
        _ = Kill(pid, 9);
        for (var i = 0; i < 200 && IsAlive(pid); i++)
        {
            Thread.Sleep(50);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>Every process below <paramref name="pid"/> (children, grandchildren...), from /proc's parent links.</summary>
    public static List<(int Pid, string CommandLine)> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[p] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        var result = new List<(int, string)>();
        var frontier = new Queue<int>([pid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (child, _) in parents.Where(kv => kv.Value == parent))
            {
                string cmdline;
                try
                {
                    cmdline = File.ReadAllText($"/proc/{child}/cmdline").Replace('\0', ' ').Trim();
                }
                catch (IOException)
                {
                    continue;
                }

                result.Add((child, cmdline));
                frontier.Enqueue(child);
            }
        }

        return result;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (DaemonPid is { } pid && IsAlive(pid))
        {
            // A test that failed before berth down: stop its daemon by pid, as down would, and wait for it to go.
            _ = Kill(pid, 9);
            for (var i = 0; i < 200 && IsAlive(pid); i++)
            {
                await Task.Delay(50);
            }
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
