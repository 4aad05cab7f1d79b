namespace Berth.Cli;

/// <summary>What <c>berth up</c> was asked to do, flags resolved.</summary>
internal sealed class UpOptions
{
    public required IReadOnlyList<string> Files { get; init; }

    public required IReadOnlyList<string> Kustomizations { get; init; }

    public required string Namespace { get; init; }

    public required string DataDir { get; init; }

    /// <summary>Whether --data-dir was on the command line (then the printed hints repeat it).</summary>
    public bool DataDirGiven { get; init; }

    public string? Listen { get; init; }

    public string? Runtime { get; init; }

    public string? Store { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public bool Plain { get; init; }

    public bool MergeKubeconfig { get; init; }
}
