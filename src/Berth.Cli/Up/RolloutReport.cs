using System.Globalization;
using k8s.Models;

namespace Berth.Cli.Up;

/// <summary>
/// Turns what the API holds about one StatefulSet (the object, its pods, their claims, events) into the progress
/// <c>berth up</c> shows. Pure: the tests feed it objects directly.
/// </summary>
internal static class RolloutReport
{
    /// <summary>Container waiting reasons that are the normal path to Running, not something to report.</summary>
    private static readonly HashSet<string> StartingReasons = new(StringComparer.Ordinal) { "ContainerCreating", "PodInitializing" };

    /// <summary>How long a claim may be Pending with no warning before it is reported as a reason (WaitForFirstConsumer
    /// claims are Pending until their pod is scheduled, which is progress, not waiting).</summary>
    public static readonly TimeSpan QuietPendingClaim = TimeSpan.FromSeconds(5);

    public static StatefulSetProgress Describe(string ns, string name, V1StatefulSet? set, IEnumerable<V1Pod> podsInNamespace,
        Func<string, V1PersistentVolumeClaim?> claim, EventIndex events, DateTime? now = null)
    {
        var at = now ?? DateTime.UtcNow;
        if (set is null)
        {
            return new StatefulSetProgress(ns, name, 0, 0, false, "not found", [], [$"statefulset {name} not found in namespace {ns}"]);
        }

        var desired = set.Spec.Replicas ?? 1;
        var start = set.Spec.Ordinals?.Start ?? 0;
        var pods = new SortedDictionary<int, V1Pod>();
        foreach (var pod in podsInNamespace)
        {
            if (OrdinalOf(set, pod) is { } ordinal)
            {
                pods[ordinal] = pod;
            }
        }

        var ordinals = new SortedSet<int>(Enumerable.Range(start, Math.Max(0, desired)));
        ordinals.UnionWith(pods.Keys);
        var rows = new List<PodProgress>();
        var waiting = new List<string>();
        var readyPods = 0;
        var allDesiredReady = true;
        foreach (var ordinal in ordinals)
        {
            var podName = name + "-" + ordinal.ToString(CultureInfo.InvariantCulture);
            var inRange = ordinal >= start && ordinal < start + desired;
            if (!pods.TryGetValue(ordinal, out var pod))
            {
                rows.Add(new PodProgress(podName, ordinal, "-", false));
                allDesiredReady &= !inRange;
                continue;
            }

            var (state, problem) = State(pod);
            rows.Add(new PodProgress(podName, ordinal, state, problem));
            if (state == "Ready")
            {
                readyPods++;
            }
            else
            {
                allDesiredReady &= !inRange;
                if (state != "Terminating")
                {
                    waiting.AddRange(WhyWaiting(pod, claim, events, at));
                }
            }
        }

        var (rolledOut, status) = RolloutStatus(set);
        // Controller status and pod watch events arrive on separate streams: done only when both agree, so the last
        // line shown is every pod Ready and no condemned pod left.
        var noneCondemned = pods.Keys.All(o => o >= start && o < start + desired);
        var done = rolledOut && allDesiredReady && noneCondemned;
        if (!done && SetWarning(set, events) is { } warning)
        {
            waiting.Insert(0, warning);
        }

        if (!rolledOut && allDesiredReady && noneCondemned && status.StartsWith("waiting for", StringComparison.Ordinal)
            && status.EndsWith("pods to be ready", StringComparison.Ordinal))
        {
            // Every pod is Ready as this watch sees them; the controller has yet to count them in its status.
            status = "waiting for the StatefulSet status to catch up";
        }
        else if (rolledOut && !done)
        {
            // The controller's status is ahead of the pods this watch has seen so far.
            var notReady = rows.Count(r => r.Ordinal >= start && r.Ordinal < start + desired && r.State != "Ready");
            status = notReady > 0 ? $"waiting for {notReady} pods to be ready" : "waiting for pods to terminate";
        }

        return new StatefulSetProgress(ns, name, desired, readyPods, done, done ? "" : status, rows, waiting);
    }

    /// <summary>
    /// kubectl rollout status's test for a StatefulSet (statefulSetStatusViewer), plus "no condemned pods left"; for
    /// OnDelete, which kubectl refuses, ready replicas at the observed generation.
    /// </summary>
    public static (bool Done, string Status) RolloutStatus(V1StatefulSet set)
    {
        var status = set.Status;
        var desired = set.Spec.Replicas ?? 1;
        if (status is null || (status.ObservedGeneration ?? 0) == 0 || set.Metadata.Generation > status.ObservedGeneration)
        {
            return (false, "waiting for the spec update to be observed");
        }

        if (status.ReadyReplicas < desired || (status.ReadyReplicas is null && desired > 0))
        {
            return (false, $"waiting for {desired - (status.ReadyReplicas ?? 0)} pods to be ready");
        }

        if (status.Replicas > desired)
        {
            return (false, $"waiting for {status.Replicas - desired} pods to terminate");
        }

        if (set.Spec.UpdateStrategy?.Type == "OnDelete")
        {
            return (true, "");
        }

        var partition = set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
        if (partition > 0)
        {
            return (status.UpdatedReplicas ?? 0) < desired - partition
                ? (false, $"waiting for partitioned roll out to finish: {status.UpdatedReplicas ?? 0} out of {desired - partition} new pods have been updated")
                : (true, "");
        }

        return status.UpdateRevision != status.CurrentRevision
            ? (false, $"waiting for rolling update to complete: {status.UpdatedReplicas ?? 0} pods at revision {status.UpdateRevision}")
            : (true, "");
    }

    /// <summary>The pod's ordinal when it is this StatefulSet's (name-ordinal, owned by it or by no controller).</summary>
    public static int? OrdinalOf(V1StatefulSet set, V1Pod pod)
    {
        var podName = pod.Metadata.Name;
        var prefix = set.Metadata.Name + "-";
        if (podName is null || !podName.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(podName.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal)
            || ordinal.ToString(CultureInfo.InvariantCulture) != podName[prefix.Length..])
        {
            return null;
        }

        var controller = pod.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
        return controller is null || controller.Uid == set.Metadata.Uid ? ordinal : null;
    }

    /// <summary>The pod's state for display, kubectl-like, and whether it is a problem rather than progress.</summary>
    public static (string State, bool Problem) State(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            return ("Terminating", false);
        }

        var status = pod.Status;
        switch (status?.Phase)
        {
            case "Failed":
                return ("Failed", true);
            case "Succeeded":
                return ("Completed", true);
            case "Running":
                return (IsReady(pod) ? "Ready" : "Running", Waiting(status.ContainerStatuses).Any(w => !StartingReasons.Contains(w.Reason ?? "")));
            default:
                break;
        }

        var inits = pod.Spec.InitContainers ?? [];
        if (inits.Count > 0)
        {
            var statuses = status?.InitContainerStatuses ?? [];
            var done = statuses.Count(s => s.State?.Terminated?.ExitCode == 0);
            if (done < inits.Count)
            {
                var problem = statuses.Any(s => s.State?.Terminated is { ExitCode: not 0 }
                    || (s.State?.Waiting?.Reason is { } r && !StartingReasons.Contains(r)));
                return ($"Init:{done}/{inits.Count}", problem);
            }
        }

        return ("Pending", Waiting(status?.ContainerStatuses).Any(w => !StartingReasons.Contains(w.Reason ?? "")));
    }

    private static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static IEnumerable<V1ContainerStateWaiting> Waiting(IList<V1ContainerStatus>? statuses) =>
        (statuses ?? []).Select(s => s.State?.Waiting).OfType<V1ContainerStateWaiting>();

    /// <summary>Why a created, not-Ready pod waits, most specific first; empty when nothing says.</summary>
    private static List<string> WhyWaiting(V1Pod pod, Func<string, V1PersistentVolumeClaim?> claim, EventIndex events, DateTime now)
    {
        var name = pod.Metadata.Name;
        var ns = pod.Metadata.NamespaceProperty;
        var reasons = new List<string>();
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim?.ClaimName is not { } claimName)
            {
                continue;
            }

            var c = claim(claimName);
            if (c is null)
            {
                reasons.Add($"{name} Pending: persistentvolumeclaim \"{claimName}\" not found");
            }
            else if (c.Status?.Phase != "Bound")
            {
                // The provisioner's or binder's own words (ProvisioningFailed: storageclass... not found); without a
                // warning, a claim is reported only once it has been pending for a while, with its latest event.
                var warning = events.Latest("PersistentVolumeClaim", ns, claimName, c.Metadata.Uid, e => e.Type == "Warning");
                var age = now - (c.Metadata.CreationTimestamp ?? now);
                if (warning is not null || age >= QuietPendingClaim)
                {
                    var said = warning ?? events.Latest("PersistentVolumeClaim", ns, claimName, c.Metadata.Uid);
                    reasons.Add($"PVC {claimName} {c.Status?.Phase ?? "Pending"}" + (said is null ? "" : ": " + said.Message));
                }
            }
        }

        var scheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (reasons.Count == 0 && scheduled is { Status: "False" })
        {
            reasons.Add($"{name} Pending: {(string.IsNullOrEmpty(scheduled.Message) ? scheduled.Reason : scheduled.Message)}");
        }

        foreach (var s in pod.Status?.InitContainerStatuses ?? [])
        {
            if (s.State?.Waiting is { Reason: { } r } w && !StartingReasons.Contains(r))
            {
                reasons.Add($"{name} init container {s.Name}: {r}" + (string.IsNullOrEmpty(w.Message) ? "" : ": " + w.Message));
            }
            else if (s.State?.Terminated is { ExitCode: not 0 } t)
            {
                reasons.Add($"{name} init container {s.Name} failed: exit code {t.ExitCode}" + (string.IsNullOrEmpty(t.Reason) ? "" : " (" + t.Reason + ")"));
            }
        }

        foreach (var s in pod.Status?.ContainerStatuses ?? [])
        {
            if (s.State?.Waiting is { Reason: { } r } w && !StartingReasons.Contains(r))
            {
                reasons.Add($"{name} {r}" + (string.IsNullOrEmpty(w.Message) ? "" : ": " + w.Message));
            }
        }

        if (reasons.Count == 0 && pod.Status?.Phase == "Running")
        {
            var probe = events.Latest("Pod", ns, name!, pod.Metadata.Uid,
                e => e.Type == "Warning" && e.Message?.StartsWith("Readiness probe failed", StringComparison.Ordinal) == true);
            if (probe is not null)
            {
                reasons.Add($"{name} not Ready: {LowerFirst(probe.Message!)}");
            }
        }

        if (reasons.Count == 0 && events.Latest("Pod", ns, name!, pod.Metadata.Uid) is { Type: "Warning" } last)
        {
            reasons.Add($"{name} {last.Reason}: {last.Message}");
        }

        return reasons;
    }

    /// <summary>The StatefulSet's latest Warning event (FailedCreate, ...) when nothing went right since.</summary>
    private static string? SetWarning(V1StatefulSet set, EventIndex events)
    {
        var last = events.Latest("StatefulSet", set.Metadata.NamespaceProperty, set.Metadata.Name, set.Metadata.Uid);
        return last is { Type: "Warning" } ? $"{set.Metadata.Name} {last.Reason}: {last.Message}" : null;
    }

    private static string LowerFirst(string s) => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..];
}
