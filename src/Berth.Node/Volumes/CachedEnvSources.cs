using System.Text;
using Berth.Node.Pods;
using k8s.Models;

namespace Berth.Node.Volumes;

/// <summary>secretKeyRef, configMapKeyRef and envFrom answered from the agent's informer caches.</summary>
internal sealed class CachedEnvSources(IObjectCache cache) : IEnvSourceResolver
{
    public string? ResolveSecretKey(string @namespace, string name, string key) =>
        cache.Secret(@namespace, name) is { } secret ? SecretData(secret).GetValueOrDefault(key) : null;

    public string? ResolveConfigMapKey(string @namespace, string name, string key) =>
        cache.ConfigMap(@namespace, name) is { } map ? ConfigMapData(map).GetValueOrDefault(key) : null;

    public IReadOnlyDictionary<string, string>? ResolveAll(string @namespace, string kind, string name) => kind switch
    {
        "Secret" => cache.Secret(@namespace, name) is { } s ? SecretData(s) : null,
        "ConfigMap" => cache.ConfigMap(@namespace, name) is { } c ? ConfigMapData(c) : null,
        _ => null,
    };

    /// <summary>
    /// A Secret's values as text. stringData is honoured too: upstream merges it into data on write, and a Secret
    /// stored with only stringData must still resolve.
    /// </summary>
    internal static Dictionary<string, string> SecretData(V1Secret secret)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            result[k] = Encoding.UTF8.GetString(v);
        }

        foreach (var (k, v) in secret.StringData ?? new Dictionary<string, string>())
        {
            result[k] = v;
        }

        return result;
    }

    internal static Dictionary<string, string> ConfigMapData(V1ConfigMap map)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Data ?? new Dictionary<string, string>())
        {
            result[k] = v;
        }

        foreach (var (k, v) in map.BinaryData ?? new Dictionary<string, byte[]>())
        {
            result[k] = Encoding.UTF8.GetString(v);
        }

        return result;
    }
}
