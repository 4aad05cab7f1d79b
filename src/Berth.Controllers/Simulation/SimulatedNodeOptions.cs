namespace Berth.Controllers.Simulation;

/// <summary>Timings of the simulated (kwok-like) node; all measured on the injected TimeProvider.</summary>
public sealed record SimulatedNodeOptions
{
    public string NodeName { get; init; } = "berth";

    /// <summary>From binding to phase Running (containers started).</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.Zero;

    /// <summary>From Running to Ready (a readiness probe's first success).</summary>
    public TimeSpan ReadyDelay { get; init; } = TimeSpan.Zero;

    /// <summary>How long simulated containers take to exit after SIGTERM; capped by the pod's grace period.</summary>
    public TimeSpan TerminationDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Pod IPs are handed out from 10.244.0.0/16 (fake, never routed).</summary>
    public string PodCidrPrefix { get; init; } = "10.244.";
}
