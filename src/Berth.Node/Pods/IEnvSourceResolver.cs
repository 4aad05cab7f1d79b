namespace Berth.Node.Pods;

/// <summary>
/// The node agent's hook for what the runtime cannot know on its own: Secrets and ConfigMaps (secretKeyRef,
/// configMapKeyRef, envFrom). Returning null means "not found"; the worker turns that into kubelet's
/// CreateContainerConfigError unless the reference is optional.
/// </summary>
public interface IEnvSourceResolver
{
    string? ResolveSecretKey(string @namespace, string name, string key);

    string? ResolveConfigMapKey(string @namespace, string name, string key);

    /// <summary>All keys of a Secret or ConfigMap (envFrom); null when the object does not exist.</summary>
    IReadOnlyDictionary<string, string>? ResolveAll(string @namespace, string kind, string name);
}
