using Berth.Serialization;

namespace Berth.Controllers.Runtime;

/// <summary>
/// Deep copy through JSON. KubernetesClient records copy shallowly with <c>with</c> (collections are shared), so
/// this is the only safe way to change an object taken from an informer cache.
/// </summary>
internal static class ModelCopy
{
    public static T Clone<T>(T obj)
        where T : class => BerthJson.Deserialize<T>(BerthJson.SerializeToUtf8Bytes(obj))!;
}
