using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.Core;
using Berth.Storage;
using k8s.Models;

namespace Berth.ApiServer.Registry;

/// <summary>
/// pods/binding (upstream BindingREST): the one write that may set spec.nodeName, and only on a pod that has none;
/// it also records PodScheduled=True. It bypasses pod update validation, which forbids changing spec.nodeName.
/// </summary>
internal static class PodBinding
{
    public static async ValueTask<KeyValue> BindAsync(ObjectRegistry registry, V1Binding binding, CancellationToken cancellationToken)
    {
        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        var ns = binding.Metadata?.NamespaceProperty ?? "default";
        var name = binding.Metadata?.Name ?? throw Errors.BadRequest("binding has no name");
        var node = binding.Target?.Name;
        if (string.IsNullOrEmpty(node) || (binding.Target?.Kind is { Length: > 0 } kind && kind != "Node"))
        {
            throw Errors.BadRequest("Binding.v1 \"" + name + "\" is invalid: target.name: Required value");
        }

        var key = pods.Key(ns, name);
        while (true)
        {
            var current = await registry.GetAsync(pods, ns, name, cancellationToken).ConfigureAwait(false);
            var pod = ObjectRegistry.Parse(current.Value);
            var meta = JsonMeta.Metadata(pod);
            if (meta["deletionTimestamp"] is not null)
            {
                throw Errors.Conflict(pods, name, "pod is being deleted, cannot be assigned to a host");
            }

            var spec = pod["spec"] as JsonObject ?? [];
            pod["spec"] = spec;
            if (spec["nodeName"] is JsonValue existing && existing.GetValue<string>() is { Length: > 0 } assigned)
            {
                throw Errors.Conflict(pods, name, $"pod {name} is already assigned to node \"{assigned}\"");
            }

            spec["nodeName"] = node;
            var status = pod["status"] as JsonObject ?? [];
            pod["status"] = status;
            var conditions = status["conditions"] as JsonArray ?? [];
            status["conditions"] = conditions;
            var scheduled = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "PodScheduled");
            if (scheduled is null)
            {
                scheduled = new JsonObject { ["type"] = "PodScheduled" };
                conditions.Add((JsonNode)scheduled);
            }

            scheduled["status"] = "True";
            scheduled["lastProbeTime"] = null;
            scheduled["lastTransitionTime"] = JsonMeta.Timestamp(registry.Time.GetUtcNow());
            scheduled.Remove("reason");
            scheduled.Remove("message");
            meta.Remove("resourceVersion");
            try
            {
                return await registry.Store.UpdateAsync(key, ObjectRegistry.Serialize(pod), new Preconditions(current.ModRevision),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Conflict)
            {
                // A concurrent status write: read again and re-check (upstream GuaranteedUpdate).
            }
            catch (StoreException e)
            {
                throw StoreErrors.Map(e, pods, name);
            }
        }
    }
}
