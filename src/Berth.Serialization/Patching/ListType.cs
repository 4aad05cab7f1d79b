namespace Berth.Serialization.Patching;

/// <summary>
/// Upstream <c>+listType</c> (x-kubernetes-list-type), which server-side apply uses: an atomic list is owned as a
/// whole, a set by value, a map by its <c>+listMapKey</c> keys.
/// </summary>
public enum ListType
{
    Atomic,
    Set,
    Map,
}
