using Berth.ApiServer.Admission;
using k8s.Models;

namespace Berth.ApiServer.Registry;

/// <summary>upstream qos.GetPodQOS, simplified to what a pod spec states: no requests or limits at all →
/// BestEffort; every container with cpu and memory limits equal to requests (as quantities: 1000m is 1) →
/// Guaranteed; else Burstable.</summary>
internal static class PodQos
{
    public static string Compute(V1PodSpec? spec)
    {
        var containers = (spec?.Containers ?? []).Concat(spec?.InitContainers ?? []).Where(c => c is not null).ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c.Resources?.Requests;
            var limits = c.Resources?.Limits;
            if (requests is { Count: > 0 } || limits is { Count: > 0 })
            {
                any = true;
            }

            foreach (var r in (string[])["cpu", "memory"])
            {
                var limit = limits is not null && limits.TryGetValue(r, out var l) ? l : null;
                var request = requests is not null && requests.TryGetValue(r, out var q) ? q : limit;
                if (limit is null || request is null || !SameQuantity(request, limit))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    // Validation (after this) reports a malformed quantity; here it only is not equal.
    private static bool SameQuantity(ResourceQuantity a, ResourceQuantity b)
    {
        try
        {
            return QuantityMath.Compare(a, b) == 0;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }
}
