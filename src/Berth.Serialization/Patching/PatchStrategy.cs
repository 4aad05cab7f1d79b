namespace Berth.Serialization.Patching;

/// <summary>
/// The strategies of upstream's <c>patchStrategy</c> struct tag (x-kubernetes-patch-strategy), combinable as
/// upstream writes them: "merge", "replace", "retainKeys", "merge,retainKeys".
/// </summary>
[Flags]
public enum PatchStrategy
{
    /// <summary>No tag: maps merge, lists are replaced whole.</summary>
    None = 0,
    Merge = 1,
    Replace = 2,
    RetainKeys = 4,
}
