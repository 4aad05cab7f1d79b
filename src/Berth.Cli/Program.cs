using System.CommandLine;

namespace Berth.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("Berth: StatefulSets on one machine, driven by real kubectl.");
        return root.Parse(args).Invoke();
    }
}
