using Berth.Controllers.Runtime;
using Berth.Node.Volumes;
using k8s.Models;

namespace Berth.Node.Agent;

/// <summary>The agent's informers as the lookups volumes and env need.</summary>
internal sealed class InformerObjectCache(
    Informer<V1Secret> secrets,
    Informer<V1ConfigMap> configMaps,
    Informer<V1PersistentVolumeClaim> claims,
    Informer<V1PersistentVolume> volumes) : IObjectCache
{
    public V1Secret? Secret(string @namespace, string name) => secrets.Get(@namespace, name);

    public V1ConfigMap? ConfigMap(string @namespace, string name) => configMaps.Get(@namespace, name);

    public V1PersistentVolumeClaim? Claim(string @namespace, string name) => claims.Get(@namespace, name);

    public V1PersistentVolume? PersistentVolume(string name) => volumes.Get(null, name);
}
