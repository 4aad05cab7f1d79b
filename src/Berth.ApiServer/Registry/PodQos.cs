using System.Text.Json.Nodes;

namespace Berth.ApiServer.Registry;

/// <summary>upstream qos.GetPodQOS, simplified to what a pod spec states: no requests or limits at all →
/// BestEffort; every container with cpu and memory limits equal to requests → Guaranteed; else Burstable.</summary>
internal static class PodQos
{
    public static string Compute(JsonObject? spec)
    {
        var containers = (spec?["containers"] as JsonArray ?? []).Concat(spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c["resources"]?["requests"] as JsonObject;
            var limits = c["resources"]?["limits"] as JsonObject;
            if (requests is { Count: > 0 } || limits is { Count: > 0 })
            {
                any = true;
            }

            foreach (var r in (string[])["cpu", "memory"])
            {
                var limit = limits?[r]?.ToString();
                var request = requests?[r]?.ToString() ?? limit;
                if (limit is null || request != limit)
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
