using System.Globalization;
using k8s.Models;

namespace Berth.Controllers.Disruption;

/// <summary>
/// The arithmetic of upstream's disruption controller (pkg/controller/disruption), kept free of I/O so it can be
/// unit-tested: expected and desired pod counts, the disrupted-pods map the eviction subresource feeds, healthy
/// pods, and the DisruptionAllowed condition.
/// </summary>
internal static class DisruptionBudgets
{
    public const string DisruptionAllowedCondition = "DisruptionAllowed";
    public const string SufficientPodsReason = "SufficientPods";
    public const string InsufficientPodsReason = "InsufficientPods";
    public const string SyncFailedReason = "SyncFailed";

    /// <summary>
    /// How long a pod the eviction subresource recorded in status.disruptedPods is expected to take to be deleted;
    /// until then it does not count as healthy (upstream DeletionTimeout).
    /// </summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>intstr.GetScaledValueFromIntOrPercent: an integer as is, a percent of <paramref name="total"/>.</summary>
    public static int ScaledValue(IntOrString value, int total, bool roundUp)
    {
        var text = value.Value ?? string.Empty;
        if (!text.EndsWith('%'))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new FormatException($"invalid value for IntOrString: invalid type: string is not a percentage");
        }

        if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent))
        {
            throw new FormatException($"invalid value \"{text}\": strconv.Atoi: parsing \"{text[..^1]}\": invalid syntax");
        }

        var scaled = total * (double)percent / 100.0;
        return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
    }

    /// <summary>
    /// getExpectedPodCount: with maxUnavailable or a percent minAvailable the expected count is the sum of the
    /// scales of the pods' controllers (<paramref name="scaleOf"/> resolves a controller reference to its
    /// spec.replicas, or null when no supported controller owns it); an integer minAvailable expects the pods that
    /// exist. Pods without a controller are reported as unmanaged and left out of the scale.
    /// </summary>
    public static (int Expected, int Desired, List<string> Unmanaged) ExpectedPodCount(
        V1PodDisruptionBudgetSpec spec, IReadOnlyList<V1Pod> pods, Func<string, V1OwnerReference, int?> scaleOf)
    {
        var unmanaged = new List<string>();
        if (spec.MaxUnavailable is { } maxUnavailable)
        {
            var expected = ExpectedScale(pods, scaleOf, unmanaged);
            var max = ScaledValue(maxUnavailable, expected, roundUp: true);
            return (expected, Math.Max(0, expected - max), unmanaged);
        }

        if (spec.MinAvailable is { } minAvailable)
        {
            if (minAvailable.Value?.EndsWith('%') == true)
            {
                var expected = ExpectedScale(pods, scaleOf, unmanaged);
                return (expected, ScaledValue(minAvailable, expected, roundUp: true), unmanaged);
            }

            return (pods.Count, ScaledValue(minAvailable, pods.Count, roundUp: true), unmanaged);
        }

        return (0, 0, unmanaged);
    }

    private static int ExpectedScale(IReadOnlyList<V1Pod> pods, Func<string, V1OwnerReference, int?> scaleOf, List<string> unmanaged)
    {
        // One scale per controller, however many of its pods match (upstream sums a map keyed by controller UID).
        var scales = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var controller = pod.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
            if (controller is null)
            {
                unmanaged.Add(pod.Metadata.Name);
                continue;
            }

            if (scales.ContainsKey(controller.Uid))
            {
                continue;
            }

            scales[controller.Uid] = scaleOf(pod.Metadata.NamespaceProperty, controller)
                ?? throw new InvalidOperationException($"found no controllers for pod \"{pod.Metadata.Name}\"");
        }

        return scales.Values.Sum();
    }

    /// <summary>
    /// buildDisruptedPodMap: keeps the entries of pods that still exist, are not yet being deleted and whose
    /// deletion is not overdue; returns the earliest moment an entry expires, when the budget must be looked at again.
    /// Overdue pods are returned so the caller can report them (upstream's NotDeleted event).
    /// </summary>
    public static (Dictionary<string, DateTime> Kept, DateTime? Recheck, List<V1Pod> Overdue) DisruptedPods(
        IDictionary<string, DateTime?>? recorded, IReadOnlyList<V1Pod> pods, DateTime now)
    {
        var kept = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var overdue = new List<V1Pod>();
        DateTime? recheck = null;
        if (recorded is null)
        {
            return (kept, recheck, overdue);
        }

        foreach (var pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null || !recorded.TryGetValue(pod.Metadata.Name, out var recordedAt)
                || recordedAt is not { } disruptedAt)
            {
                continue;
            }

            var expectedDeletion = disruptedAt.ToUniversalTime() + DeletionTimeout;
            if (expectedDeletion < now)
            {
                overdue.Add(pod);
                continue;
            }

            if (recheck is null || expectedDeletion < recheck)
            {
                recheck = expectedDeletion;
            }

            kept[pod.Metadata.Name] = disruptedAt;
        }

        return (kept, recheck, overdue);
    }

    /// <summary>countHealthyPods: ready pods that are neither being deleted nor about to be (disrupted).</summary>
    public static int CountHealthy(IReadOnlyList<V1Pod> pods, Dictionary<string, DateTime> disrupted, DateTime now)
    {
        var healthy = 0;
        foreach (var pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (disrupted.TryGetValue(pod.Metadata.Name, out var at) && at.ToUniversalTime() + DeletionTimeout > now)
            {
                continue;
            }

            if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True")
            {
                healthy++;
            }
        }

        return healthy;
    }

    /// <summary>
    /// updatePdbStatus's rule: no disruptions while nothing is expected (a budget whose first pods appear before the
    /// controller has looked is safe), otherwise healthy minus desired, never negative.
    /// </summary>
    public static int DisruptionsAllowed(int currentHealthy, int desiredHealthy, int expectedCount)
    {
        var allowed = currentHealthy - desiredHealthy;
        return expectedCount <= 0 || allowed <= 0 ? 0 : allowed;
    }

    /// <summary>
    /// meta.SetStatusCondition: adds or updates the condition of that type; lastTransitionTime moves only when the
    /// status flips (or the condition is new).
    /// </summary>
    public static List<V1Condition> SetCondition(IList<V1Condition>? conditions, V1Condition condition, DateTime now)
    {
        var result = new List<V1Condition>(conditions ?? []);
        var index = result.FindIndex(c => c.Type == condition.Type);
        if (index < 0)
        {
            condition.LastTransitionTime = now;
            result.Add(condition);
            return result;
        }

        var existing = result[index];
        condition.LastTransitionTime = existing.Status == condition.Status ? existing.LastTransitionTime : now;
        result[index] = condition;
        return result;
    }

    /// <summary>UpdateDisruptionAllowedCondition: True/SufficientPods with disruptions left, else False/InsufficientPods.</summary>
    public static V1Condition AllowedCondition(int disruptionsAllowed, long? observedGeneration) => disruptionsAllowed > 0
        ? new V1Condition { Type = DisruptionAllowedCondition, Status = "True", Reason = SufficientPodsReason, Message = string.Empty, ObservedGeneration = observedGeneration }
        : new V1Condition { Type = DisruptionAllowedCondition, Status = "False", Reason = InsufficientPodsReason, Message = string.Empty, ObservedGeneration = observedGeneration };

    /// <summary>pdbhelper.ConditionsAreUpToDate.</summary>
    public static bool ConditionsAreUpToDate(V1PodDisruptionBudget budget)
    {
        var status = budget.Status;
        var condition = status?.Conditions?.FirstOrDefault(c => c.Type == DisruptionAllowedCondition);
        if (status is null || condition is null || status.ObservedGeneration != budget.Metadata.Generation)
        {
            return false;
        }

        return status.DisruptionsAllowed > 0
            ? condition.Status == "True" && condition.Reason == SufficientPodsReason
            : condition.Status == "False" && condition.Reason == InsufficientPodsReason;
    }
}
