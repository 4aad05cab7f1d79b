using System.Diagnostics;

namespace Berth.Storage.Tests;

/// <summary>Runs tests/tools/Berth.Storage.CrashWriter (built next to the tests) and kills it by PID when disposed.</summary>
internal sealed class ChildProcess : IDisposable
{
    private ChildProcess(Process process) => Process = process;

    public Process Process { get; }

    public static ChildProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Berth.Storage.CrashWriter"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the crash writer"));
    }

    /// <summary>SIGKILL: on Unix Process.Kill sends signal 9, no chance to flush or close anything.</summary>
    public async Task KillAsync()
    {
        Process.Kill();
        await Process.WaitForExitAsync();
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        Process.Dispose();
    }
}
