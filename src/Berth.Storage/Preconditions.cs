namespace Berth.Storage;

/// <summary>Optimistic-concurrency checks for update and delete (upstream metav1.Preconditions).</summary>
public readonly record struct Preconditions(long? ModRevision = null, string? Uid = null)
{
    public static Preconditions None => default;
}
