using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// persistentVolumeClaimRetentionPolicy through owner references (stateful_set_utils.go: isClaimOwnerUpToDate,
/// updateClaimOwnerRefForSetAndPod, hasUnexpectedController, isStale). The garbage collector does the deleting:
/// a claim owned by the set goes with the set, a claim owned by a condemned pod goes with that pod.
/// </summary>
internal static class RetentionPolicy
{
    public const string Retain = "Retain";
    public const string Delete = "Delete";

    public static (string WhenDeleted, string WhenScaled) Of(V1StatefulSet set) =>
        (set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenDeleted ?? Retain,
         set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenScaled ?? Retain);

    public static bool IsRetainRetain(V1StatefulSet set) => Of(set) is (Retain, Retain);

    /// <summary>The refs the claim of <paramref name="pod"/> should carry: (set ref?, pod ref?).</summary>
    public static (bool SetRef, bool PodRef) Desired(V1StatefulSet set, V1Pod pod)
    {
        var scaledDown = !StatefulSetPods.InOrdinalRange(set, StatefulSetPods.Ordinal(pod));
        return Of(set) switch
        {
            (Retain, Retain) => (false, false),
            (Delete, Retain) => (true, false),
            (Retain, Delete) => (false, scaledDown),
            _ => scaledDown ? (false, true) : (true, false),
        };
    }

    /// <summary>A ref with the owner's kind and name but another UID: the claim belongs to an older incarnation.</summary>
    public static bool HasStaleRef(V1PersistentVolumeClaim claim, string kind, string name, string? uid) =>
        claim.Metadata.OwnerReferences?.Any(r => r.Kind == kind && r.Name == name && r.Uid != uid) == true;

    /// <summary>Some other object acts as the claim's controller (e.g. a ConfigMap in the upstream e2e test).</summary>
    public static bool HasUnexpectedController(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod)
    {
        if (IsRetainRetain(set))
        {
            return false;
        }

        return claim.Metadata.OwnerReferences?.Any(r =>
            r.Controller == true
            && !(r.Kind == "StatefulSet" && r.Name == set.Metadata.Name)
            && !(r.Kind == "Pod" && r.Name == pod.Metadata.Name)) == true;
    }

    public static bool IsUpToDate(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod)
    {
        if (HasStaleRef(claim, "StatefulSet", set.Metadata.Name, set.Metadata.Uid)
            || HasStaleRef(claim, "Pod", pod.Metadata.Name, pod.Metadata.Uid))
        {
            return true;
        }

        var refs = claim.Metadata.OwnerReferences ?? [];
        var setRef = refs.FirstOrDefault(r => r.Uid == set.Metadata.Uid);
        var podRef = string.IsNullOrEmpty(pod.Metadata.Uid) ? null : refs.FirstOrDefault(r => r.Uid == pod.Metadata.Uid);
        if (HasUnexpectedController(claim, set, pod))
        {
            return setRef is null && podRef is null;
        }

        var (wantSet, wantPod) = Desired(set, pod);
        // A pod not created yet has no UID, so no pod ref can be added for it: its part is trivially up to date.
        var podOk = string.IsNullOrEmpty(pod.Metadata.Uid) || Matches(podRef, wantPod);
        return Matches(setRef, wantSet) && podOk;

        static bool Matches(V1OwnerReference? r, bool want) => want ? r is { Controller: true } : r is null;
    }

    /// <summary>Rewrites the claim's refs to the policy; returns whether anything changed.</summary>
    public static bool Update(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod)
    {
        if (HasStaleRef(claim, "StatefulSet", set.Metadata.Name, set.Metadata.Uid)
            || HasStaleRef(claim, "Pod", pod.Metadata.Name, pod.Metadata.Uid))
        {
            return false;
        }

        var refs = claim.Metadata.OwnerReferences?.ToList() ?? [];
        var before = refs.Select(Describe).ToList();
        var (wantSet, wantPod) = HasUnexpectedController(claim, set, pod) ? (false, false) : Desired(set, pod);
        SetOrRemove(refs, set.Metadata.Uid, wantSet, () => StatefulSetPods.ControllerRef(set));
        if (!string.IsNullOrEmpty(pod.Metadata.Uid))
        {
            SetOrRemove(refs, pod.Metadata.Uid, wantPod, () => StatefulSetPods.ControllerRef(pod));
        }

        var after = refs.Select(Describe).ToList();
        if (before.SequenceEqual(after, StringComparer.Ordinal))
        {
            return false;
        }

        claim.Metadata.OwnerReferences = refs.Count == 0 ? null : refs;
        return true;
    }

    /// <summary>isStale: with whenScaled=Delete, a claim still owned by an earlier pod of this ordinal is awaiting GC.</summary>
    public static bool ClaimIsStale(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod) =>
        Of(set).WhenScaled == Delete
        && claim.Metadata.OwnerReferences?.Any(r => r.Kind == "Pod" && r.Name == pod.Metadata.Name && r.Uid != pod.Metadata.Uid) == true;

    private static void SetOrRemove(List<V1OwnerReference> refs, string uid, bool want, Func<V1OwnerReference> make)
    {
        var i = refs.FindIndex(r => r.Uid == uid);
        if (!want)
        {
            if (i >= 0)
            {
                refs.RemoveAt(i);
            }

            return;
        }

        if (i < 0)
        {
            refs.Add(make());
        }
        else if (refs[i].Controller != true || refs[i].BlockOwnerDeletion != true)
        {
            // A non-controller ref to the set or pod is rewritten as a controller ref (upstream e2e 27).
            refs[i] = make();
        }
    }

    private static string Describe(V1OwnerReference r) => $"{r.Uid}|{r.Kind}|{r.Name}|{r.Controller}|{r.BlockOwnerDeletion}";
}
