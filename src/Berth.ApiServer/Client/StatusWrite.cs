using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Serialization;
using k8s;
using k8s.Models;

namespace Berth.ApiServer.Client;

/// <summary>
/// The body of an in-process status write (PUT .../status): type meta, the metadata a PUT checks (name, namespace and
/// resourceVersion, the caller's precondition) and the status. upstream's status strategies take nothing else from
/// the body (PrepareForUpdate copies its status onto the stored object), so encoding the whole object, spec and the
/// rest of its metadata included, only to drop it again was wasted work on every kubelet and controller status write.
/// </summary>
internal static class StatusWrite
{
    public static JsonObject Encode<T>(ResourceDescriptor resource, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var meta = new JsonObject();
        if (obj.Metadata is { } m)
        {
            AddIfSet(meta, "name", m.Name);
            AddIfSet(meta, "namespace", m.NamespaceProperty);
            AddIfSet(meta, "resourceVersion", m.ResourceVersion);
        }

        var body = new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = meta,
        };
        if (ModelCodec.StatusProperty(resource.ModelType) is { } property && property.Get?.Invoke(obj) is { } status)
        {
            body["status"] = JsonSerializer.SerializeToNode(status, BerthJson.Options.GetTypeInfo(property.PropertyType));
        }

        return body;
    }

    private static void AddIfSet(JsonObject meta, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            meta[name] = value;
        }
    }
}
