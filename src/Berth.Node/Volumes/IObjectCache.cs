using k8s.Models;

namespace Berth.Node.Volumes;

/// <summary>The API objects a pod's volumes and env draw on, as the node agent's informers cache them.</summary>
internal interface IObjectCache
{
    V1Secret? Secret(string @namespace, string name);

    V1ConfigMap? ConfigMap(string @namespace, string name);

    V1PersistentVolumeClaim? Claim(string @namespace, string name);

    V1PersistentVolume? PersistentVolume(string name);
}
