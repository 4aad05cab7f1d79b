using System.Diagnostics;
using System.Text;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>Runs a real kubectl binary (1.27 ... 1.33) against the streaming test server.</summary>
internal sealed class KubectlRunner
{
    private const string SdkBin = "/usr/lib/google-cloud-sdk/bin";
    private readonly StreamingServer _server;

    public KubectlRunner(StreamingServer server, string version)
    {
        _server = server;
        Version = version;
    }

    public string Version { get; }

    public string Binary => Path.Combine(SdkBin, "kubectl." + Version);

    public IEnumerable<string> CommonArguments => ["--kubeconfig=" + _server.Kubeconfig, "--cache-dir=" + Path.Combine(_server.CacheDir, Version)];

    public Task<KubectlOutput> RunAsync(params string[] arguments) => RunWithStdinAsync(null, arguments);

    public async Task<KubectlOutput> RunWithStdinAsync(string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in CommonArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return await RunProcessAsync(start, stdin);
    }

    /// <summary>
    /// Runs kubectl inside a pseudo-terminal (util-linux script), so -t really asks for a TTY, after setting the
    /// terminal to <paramref name="rows"/> x <paramref name="columns"/>.
    /// </summary>
    public async Task<KubectlOutput> RunInTerminalAsync(int rows, int columns, params string[] arguments)
    {
        var command = new StringBuilder($"stty rows {rows} cols {columns}; exec {Binary}");
        foreach (var argument in CommonArguments.Concat(arguments))
        {
            command.Append(" '").Append(argument.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }

        var start = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-qec", command.ToString(), "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        // script's own stdin stays open: an EOF there would end the terminal session early.
        return await RunProcessAsync(start, stdin: null, keepStdinOpen: true);
    }

    /// <summary>Starts a long-running kubectl (port-forward); the caller disposes it, which kills it by PID.</summary>
    public RunningKubectl Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in CommonArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return new RunningKubectl(Process.Start(start) ?? throw new InvalidOperationException("could not start " + Binary));
    }

    private static async Task<KubectlOutput> RunProcessAsync(ProcessStartInfo start, string? stdin, bool keepStdinOpen = false)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        if (!keepStdinOpen)
        {
            process.StandardInput.Close();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new KubectlOutput(-1, await stdout, await stderr + "\n(timed out)");
        }

        return new KubectlOutput(process.ExitCode, await stdout, await stderr);
    }
}
