using System.Diagnostics;
using System.Globalization;

namespace Berth.ApiServer.Diagnostics;

/// <summary>
/// With <c>BERTH_STARTUP_TRACE=1</c>, prints each startup phase to stderr as milliseconds since the process
/// started, the process's CPU time and its resident memory: how <c>serve_ready_ms</c> and <c>serve_idle_rss_mb</c>
/// were broken down, kept so the next regression can be found the same way. Off, it costs one branch.
/// </summary>
public static class StartupTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("BERTH_STARTUP_TRACE") == "1";

    public static void Mark(string phase)
    {
        if (!Enabled)
        {
            return;
        }

        using var self = Process.GetCurrentProcess();
        var sinceStart = DateTime.Now - self.StartTime;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"berth: startup {sinceStart.TotalMilliseconds,7:0} ms  cpu {self.TotalProcessorTime.TotalMilliseconds,6:0} ms  rss {self.WorkingSet64 / 1048576.0,6:0.0} MB  "
            + $"jit {System.Runtime.JitInfo.GetCompiledMethodCount(),5} methods {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,5:0} ms  "
            + $"gc committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0,5:0.0} MB  {phase}"));
    }
}
