namespace Berth.Node.Pods;

public sealed record PodWorkerOptions
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Volume name → host directory for every volume that is not an emptyDir (PVs, rendered configMaps).</summary>
    public IReadOnlyDictionary<string, string> VolumeSources { get; init; } = new Dictionary<string, string>();

    public IEnvSourceResolver? EnvSources { get; init; }
}
