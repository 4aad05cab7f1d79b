using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Berth.E2E;

/// <summary>
/// A real <c>berth serve</c> child process (the built CLI) on a free loopback port with a temp data dir.
/// Ready once DATA/kubeconfig exists (the server writes it only after /readyz answers 200). Disposal kills
/// it by PID and removes the data dir.
/// </summary>
public sealed class BerthServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private BerthServeProcess(Process process, string dataDir, int port)
    {
        _process = process;
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }

    public int Port { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <param name="runtime">
    /// The controller suites pin the simulated node (instant, deterministic pods); the sandbox suite runs real ones.
    /// </param>
    public static async Task<BerthServeProcess> StartAsync(string store = "sqlite", string runtime = "simulated", string? dataDir = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("berth-e2e-").FullName;
        var port = FreePort();
        var (fileName, prefix) = BerthBinary.Command();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[.. prefix, "serve", "--store", store, "--runtime", runtime, "--data-dir", dataDir, "--listen", $"127.0.0.1:{port}"])
        {
            start.ArgumentList.Add(arg);
        }

        // Cluster DNS must not forward test pods' lookups to the machine's real resolvers.
        start.Environment["BERTH_DNS_FORWARD"] = "none";

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start berth serve");
        var server = new BerthServeProcess(process, dataDir, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(server.Kubeconfig))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = server.Log;
                await server.DisposeAsync();
                throw new InvalidOperationException("berth serve did not become ready:\n" + log);
            }

            await Task.Delay(50);
        }

        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops serve the way Ctrl+C or a service manager does (SIGTERM), and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
        }

        return _process.ExitCode;
    }

    /// <summary>A crash: SIGKILL to serve alone (its pods die with it through bwrap's --die-with-parent).</summary>
    public async Task CrashAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>The PID of the serve process (tests look for what it left behind).</summary>
    public int ProcessId => _process.Id;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            // A killed sandbox serve leaves its pods' overlay roots mounted under the data dir: never walk into one.
            foreach (var mount in File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')[1])
                .Where(m => m.StartsWith(DataDir + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
            {
                using var umount = Process.Start("umount", ["-l", mount]);
                await umount!.WaitForExitAsync();
            }

            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
