namespace Berth.ApiServer.Registry;

/// <summary>metav1.DeleteOptions, read from the DELETE body or query.</summary>
internal sealed record DeleteRequest
{
    public long? GracePeriodSeconds { get; init; }

    public string? PropagationPolicy { get; init; }

    public string? PreconditionUid { get; init; }

    public string? PreconditionResourceVersion { get; init; }

    public bool DryRun { get; init; }
}
