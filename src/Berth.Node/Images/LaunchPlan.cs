namespace Berth.Node.Images;

/// <summary>What the runtime executes for one container after the catalog has filled in the image defaults.</summary>
public sealed record LaunchPlan(
    string Image,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> ImageEnv,
    string? WorkingDir,
    int StopSignal,
    string? EntrypointScript,
    IReadOnlyDictionary<string, string> Files,
    bool BusyboxApplets = false);
