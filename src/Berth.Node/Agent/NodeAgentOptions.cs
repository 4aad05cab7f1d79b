namespace Berth.Node.Agent;

/// <summary>How `berth serve` (or `berth agent`) configures the node agent.</summary>
public sealed record NodeAgentOptions
{
    /// <summary>The Node this agent registers and whose pods it runs; the scheduler and PV node affinity use it.</summary>
    public string NodeName { get; init; } = "berth";

    /// <summary>Where rendered configMap, secret and downwardAPI volumes live (one directory per pod UID).</summary>
    public required string VolumeDirectory { get; init; }

    /// <summary>Berth's data dir, for the node's ephemeral-storage capacity; null uses the volume directory's file system.</summary>
    public string? DataDir { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The node's address (status.hostIP of its pods, the Node's InternalIP).</summary>
    public string HostIP { get; init; } = "127.0.0.1";

    /// <summary>Pods synced in parallel.</summary>
    public int Workers { get; init; } = 4;

    /// <summary>
    /// When the agent stops (serve shutting down), each pod gets its terminationGracePeriodSeconds but at most this
    /// long before its processes are killed.
    /// </summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where the agent reports what it cannot surface as an event (a sandbox that would not tear down).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Shown in the Node's nodeInfo.containerRuntimeVersion.</summary>
    public string RuntimeVersion { get; init; } = "berth-sandbox://1";
}
