using System.Diagnostics;

namespace Berth.E2E;

/// <summary>
/// Runs a child process of a test (kubectl, the berth CLI) to its end with its output captured; one that outlives
/// its timeout is killed with its children and reported as exit code -1, so a hung command fails the test rather
/// than the run.
/// </summary>
internal static class ProcessRunner
{
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public static async Task<KubectlResult> RunAsync(ProcessStartInfo start, string? stdin, int timeoutSeconds)
    {
        start.RedirectStandardInput = stdin is not null;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new KubectlResult(-1, await stdout, await stderr + "\n(timed out)");
        }

        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }
}
