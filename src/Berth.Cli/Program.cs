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
        return root.Parse(args).InvokeAsync();
    }
}
