namespace Berth.Serialization.Patching.Apply;

/// <summary>
/// One field another manager owns with a different value (a StatusCause of type FieldManagerConflict upstream):
/// <see cref="Manager"/> printed as upstream prints it (<c>"kubectl-client-side-apply" using apps/v1</c>) and
/// <see cref="Field"/> as a structured-merge-diff path (<c>.spec.replicas</c>).
/// </summary>
public sealed record ApplyConflict(string Manager, string Field)
{
    /// <summary>The cause message upstream puts in details.causes[].message.</summary>
    public string Message => "conflict with " + Manager;

    /// <summary>The conflicting path as field set elements (<c>f:spec</c>, <c>f:replicas</c>).</summary>
    internal IReadOnlyList<string> Path { get; init; } = [];
}
