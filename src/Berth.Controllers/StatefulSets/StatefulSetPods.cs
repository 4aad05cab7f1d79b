using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// Pod predicates and identity rules of pkg/controller/statefulset/stateful_set_utils.go (paraphrased, own code).
/// </summary>
internal static partial class StatefulSetPods
{
    [GeneratedRegex("^(.*)-([0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex StatefulPodRegex();

    /// <summary>Splits "web-3" into ("web", 3); anything else (or an ordinal beyond int32) is ("", -1).</summary>
    public static (string Parent, int Ordinal) ParentAndOrdinal(string? podName)
    {
        var m = StatefulPodRegex().Match(podName ?? string.Empty);
        if (!m.Success || !int.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
        {
            return (string.Empty, -1);
        }

        return (m.Groups[1].Value, ordinal);
    }

    public static int Ordinal(V1Pod pod) => ParentAndOrdinal(pod.Metadata.Name).Ordinal;

    public static bool IsMemberOf(V1StatefulSet set, V1Pod pod) => ParentAndOrdinal(pod.Metadata.Name).Parent == set.Metadata.Name;

    public static int StartOrdinal(V1StatefulSet set) => set.Spec.Ordinals?.Start ?? 0;

    public static int Replicas(V1StatefulSet set) => set.Spec.Replicas ?? 1;

    public static int EndOrdinal(V1StatefulSet set) => StartOrdinal(set) + Replicas(set) - 1;

    public static bool InOrdinalRange(V1StatefulSet set, int ordinal) => ordinal >= StartOrdinal(set) && ordinal <= EndOrdinal(set);

    public static string PodName(V1StatefulSet set, int ordinal) =>
        set.Metadata.Name + "-" + ordinal.ToString(CultureInfo.InvariantCulture);

    public static string ClaimName(V1StatefulSet set, V1PersistentVolumeClaim template, int ordinal) =>
        template.Metadata.Name + "-" + PodName(set, ordinal);

    public static bool IsCreated(V1Pod pod) => !string.IsNullOrEmpty(pod.Status?.Phase);

    public static bool IsPending(V1Pod pod) => pod.Status?.Phase == "Pending";

    public static bool IsFailed(V1Pod pod) => pod.Status?.Phase == "Failed";

    public static bool IsSucceeded(V1Pod pod) => pod.Status?.Phase == "Succeeded";

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    public static V1PodCondition? ReadyCondition(V1Pod pod) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    public static bool IsReady(V1Pod pod) => ReadyCondition(pod)?.Status == "True";

    public static bool IsRunningAndReady(V1Pod pod) => pod.Status?.Phase == "Running" && IsReady(pod);

    /// <summary>podutil.IsPodAvailable: Ready for at least minReadySeconds (no phase check, as upstream).</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        var ready = ReadyCondition(pod);
        if (ready?.Status != "True")
        {
            return false;
        }

        if (minReadySeconds == 0)
        {
            return true;
        }

        return ready.LastTransitionTime is { } t
            && new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).AddSeconds(minReadySeconds) < now;
    }

    public static bool IsRunningAndAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now) =>
        IsRunningAndReady(pod) && IsAvailable(pod, minReadySeconds, now);

    /// <summary>isUnavailable (1.34+): not available or terminating.</summary>
    public static bool IsUnavailable(V1Pod pod, int minReadySeconds, DateTimeOffset now) =>
        !IsAvailable(pod, minReadySeconds, now) || IsTerminating(pod);

    public static string? Revision(V1Pod pod) => pod.Metadata.Label(StatefulSetLabels.ControllerRevisionHash);

    /// <summary>identityMatches: name, namespace and the pod-name label are those of its ordinal in this set.</summary>
    public static bool IdentityMatches(V1StatefulSet set, V1Pod pod)
    {
        var (parent, ordinal) = ParentAndOrdinal(pod.Metadata.Name);
        return ordinal >= 0
            && set.Metadata.Name == parent
            && pod.Metadata.Name == PodName(set, ordinal)
            && pod.Metadata.NamespaceProperty == set.Metadata.NamespaceProperty
            && pod.Metadata.Label(StatefulSetLabels.PodName) == pod.Metadata.Name;
    }

    /// <summary>storageMatches: every claim template has a pod volume of its name pointing at the expected claim.</summary>
    public static bool StorageMatches(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        if (ordinal < 0)
        {
            return false;
        }

        var volumes = (pod.Spec.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var claim in set.Spec.VolumeClaimTemplates ?? [])
        {
            if (!volumes.TryGetValue(claim.Metadata.Name, out var volume)
                || volume.PersistentVolumeClaim?.ClaimName != ClaimName(set, claim, ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The claims a pod of this set must have, keyed by template name, built from the templates.</summary>
    public static List<(string TemplateName, V1PersistentVolumeClaim Claim)> Claims(V1StatefulSet set, int ordinal)
    {
        var result = new List<(string, V1PersistentVolumeClaim)>();
        foreach (var template in set.Spec.VolumeClaimTemplates ?? [])
        {
            var claim = Runtime.ModelCopy.Clone(template);
            claim.ApiVersion = "v1";
            claim.Kind = "PersistentVolumeClaim";
            claim.Metadata.Name = ClaimName(set, template, ordinal);
            claim.Metadata.NamespaceProperty = set.Metadata.NamespaceProperty;
            claim.Metadata.OwnerReferences = null;
            claim.Metadata.ResourceVersion = null;
            claim.Metadata.Uid = null;
            claim.Status = null;
            if (set.Spec.Selector?.MatchLabels is { Count: > 0 } matchLabels)
            {
                claim.Metadata.Labels ??= new Dictionary<string, string>();
                foreach (var (k, v) in matchLabels)
                {
                    claim.Metadata.Labels[k] = v;
                }
            }

            result.Add((template.Metadata.Name, claim));
        }

        return result;
    }

    /// <summary>updateStorage: one PVC volume per claim template (template order), other volumes kept after them.</summary>
    public static void UpdateStorage(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        var templates = set.Spec.VolumeClaimTemplates ?? [];
        if (templates.Count == 0)
        {
            return;
        }

        var names = templates.Select(t => t.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var volumes = new List<V1Volume>();
        foreach (var t in templates)
        {
            volumes.Add(new V1Volume
            {
                Name = t.Metadata.Name,
                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ClaimName(set, t, ordinal), ReadOnlyProperty = false },
            });
        }

        foreach (var v in pod.Spec.Volumes ?? [])
        {
            if (!names.Contains(v.Name))
            {
                volumes.Add(v);
            }
        }

        pod.Spec.Volumes = volumes;
    }

    /// <summary>updateIdentity: name, namespace, hostname/subdomain and the identity labels.</summary>
    public static void UpdateIdentity(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        pod.Metadata.Name = PodName(set, ordinal);
        pod.Metadata.NamespaceProperty = set.Metadata.NamespaceProperty;
        pod.Metadata.Labels ??= new Dictionary<string, string>();
        pod.Metadata.Labels[StatefulSetLabels.PodName] = pod.Metadata.Name;
        pod.Metadata.Labels[StatefulSetLabels.PodIndex] = ordinal.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>newStatefulSetPod: a not-yet-created pod for the ordinal from the set's template.</summary>
    public static V1Pod NewPod(V1StatefulSet set, int ordinal)
    {
        var template = Runtime.ModelCopy.Clone(set.Spec.Template);
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = PodName(set, ordinal),
                GenerateName = set.Metadata.Name + "-",
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>(),
                Annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : null,
                Finalizers = template.Metadata?.Finalizers is { } f ? [.. f] : null,
                OwnerReferences = [ControllerRef(set)],
            },
            Spec = template.Spec,
        };
        UpdateIdentity(set, pod);
        UpdateStorage(set, pod);
        pod.Spec.Hostname = pod.Metadata.Name;
        if (!string.IsNullOrEmpty(set.Spec.ServiceName))
        {
            pod.Spec.Subdomain = set.Spec.ServiceName;
        }

        return pod;
    }

    public static V1OwnerReference ControllerRef(V1StatefulSet set) => set.Metadata.NewControllerRef("apps/v1", "StatefulSet");

    public static V1OwnerReference ControllerRef(V1Pod pod) => pod.Metadata.NewControllerRef("v1", "Pod");
}
