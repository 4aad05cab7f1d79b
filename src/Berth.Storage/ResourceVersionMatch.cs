namespace Berth.Storage;

/// <summary>How a list's resourceVersion is interpreted (upstream metav1.ResourceVersionMatch).</summary>
public enum ResourceVersionMatch
{
    /// <summary>resourceVersion unset: the newest data (a consistent read). "0": any data the cache has.
    /// Any other value: data at least that new.</summary>
    Unset,
    NotOlderThan,
    Exact,
}
