using Berth.Controllers.Simulation;

namespace Berth.Controllers;

/// <summary>What `berth serve` / `berth agent` choose when composing the controllers.</summary>
public sealed record ControllerManagerOptions
{
    /// <summary>Berth's data dir; provisioned volumes live in DATA/volumes. Null keeps volumes off disk.</summary>
    public string? DataDir { get; init; }

    public string NodeName { get; init; } = "berth";

    /// <summary>Run the simulated node (`--runtime simulated`); off when the real node agent runs pods.</summary>
    public bool SimulatedNode { get; init; } = true;

    public SimulatedNodeOptions Simulation { get; init; } = new();

    /// <summary>Upstream's --concurrent-statefulset-syncs default.</summary>
    public int StatefulSetWorkers { get; init; } = 5;

    /// <summary>Create the default StorageClass `standard` at startup.</summary>
    public bool CreateDefaultStorageClass { get; init; } = true;
}
