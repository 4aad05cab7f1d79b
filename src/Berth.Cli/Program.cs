using System.CommandLine;

namespace Berth.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Berth: StatefulSets on one machine, driven by real kubectl.")
        {
            UpCommand.Create(),
            DownCommand.Create(),
            StatusCommand.Create(),
            ServeCommand.Create(),
        };
        // System.CommandLine turns SIGINT/SIGTERM into the action's cancellation token and, by default, ends the
        // process with exit code 143 when the action has not returned two seconds later. serve's clean stop (every
        // pod through its grace period, then the pod network and the store) takes longer than that on a busy
        // machine, so the process was cut off half-way; give it the time, as a kubelet's own shutdown does.
        // `berth down` still escalates to SIGKILL after its --timeout.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(10) });
    }
}
