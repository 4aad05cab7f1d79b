namespace Berth.Bench;

/// <summary>
/// scripts/bench entry: runs the named groups (all when none) and prints each figure as
/// "name: value unit" on its own line.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, Func<string[], Task>> Groups = new(StringComparer.Ordinal)
    {
        ["openapi"] = OpenApiAdmissionBench.RunAsync,
        ["store"] = StoreBenchmarks.RunAsync,
        ["api"] = ApiBenchmarks.RunAsync,
        ["sts"] = StsBenchmarks.RunAsync,
        ["pod"] = PodBenchmarks.RunAsync,
        ["patch"] = PatchBenchmarks.RunAsync,
        ["up"] = UpBenchmarks.RunAsync,
        ["dns"] = DnsBenchmarks.RunAsync,
        ["registry"] = RegistryBenchmarks.RunAsync,
        ["table"] = TableBenchmarks.RunAsync,
    };

    private static async Task<int> Main(string[] args)
    {
        if (args is ["dns-load", ..])
        {
            // The dns group's load generator, started as its own process (in the hub namespace when there is one).
            return DnsBenchmarks.RunLoad(args);
        }

        var names = args.Length == 0 ? Groups.Keys.ToArray() : args;
        foreach (var name in names)
        {
            if (!Groups.TryGetValue(name, out var run))
            {
                Console.Error.WriteLine($"unknown benchmark group \"{name}\"; known: {string.Join(", ", Groups.Keys)}");
                return 2;
            }

            await run(args).ConfigureAwait(false);
        }

        return 0;
    }
}
