using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// Pod and claim writes of the StatefulSet controller (stateful_pod_control.go), each with its upstream event:
/// <c>create Pod web-0 in StatefulSet web successful</c>, <c>create Claim www-web-0 Pod web-0 in StatefulSet web success</c>, ...
/// </summary>
internal sealed class StatefulPodControl(
    IApiClient client,
    Informer<V1Pod> pods,
    Informer<V1PersistentVolumeClaim> claims,
    EventRecorder recorder)
{
    public async Task<V1Pod?> CreateStatefulPodAsync(V1StatefulSet set, V1Pod pod, CancellationToken ct)
    {
        // Claims first: a pod must never start without its storage.
        try
        {
            await CreateMissingClaimsAsync(set, pod, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            RecordPodEvent("create", set, pod, e);
            throw;
        }

        V1Pod? created = null;
        Exception? error = null;
        try
        {
            created = await client.CreateAsync(pod, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            // Sunk silently, as upstream: the cache is behind; the sync fails and is retried.
            throw;
        }
        catch (ApiException e)
        {
            error = e;
        }

        try
        {
            await UpdatePodClaimForRetentionPolicyAsync(set, created ?? pod, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            RecordPodEvent("update", set, pod, e);
            throw;
        }

        RecordPodEvent("create", set, pod, error);
        if (error is not null)
        {
            throw error;
        }

        return created;
    }

    public async Task DeleteStatefulPodAsync(V1StatefulSet set, V1Pod pod, CancellationToken ct)
    {
        try
        {
            await client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, null, ct).ConfigureAwait(false);
            RecordPodEvent("delete", set, pod, null);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            // Already gone: the goal of the delete is met.
        }
        catch (ApiException e)
        {
            RecordPodEvent("delete", set, pod, e);
            throw;
        }
    }

    /// <summary>UpdateStatefulPod: repair identity, storage and claim refs; PUT the pod only if anything changed.</summary>
    public async Task UpdateStatefulPodAsync(V1StatefulSet set, V1Pod pod, CancellationToken ct)
    {
        var current = ModelCopy.Clone(pod);
        for (var attempt = 0; ; attempt++)
        {
            var consistent = true;
            if (!StatefulSetPods.IdentityMatches(set, current))
            {
                StatefulSetPods.UpdateIdentity(set, current);
                consistent = false;
            }

            if (!StatefulSetPods.StorageMatches(set, current))
            {
                StatefulSetPods.UpdateStorage(set, current);
                consistent = false;
                try
                {
                    await CreateMissingClaimsAsync(set, current, ct).ConfigureAwait(false);
                }
                catch (ApiException e)
                {
                    RecordPodEvent("update", set, current, e);
                    throw;
                }
            }

            if (!ClaimsUpToDate(set, current))
            {
                consistent = false;
                try
                {
                    await UpdatePodClaimForRetentionPolicyAsync(set, current, ct).ConfigureAwait(false);
                }
                catch (ApiException e)
                {
                    RecordPodEvent("update", set, current, e);
                    throw;
                }
            }

            if (consistent)
            {
                return;
            }

            try
            {
                await client.UpdateAsync(current, ct).ConfigureAwait(false);
                RecordPodEvent("update", set, current, null);
                return;
            }
            catch (ApiException e) when (e.IsConflict && attempt < 5)
            {
                // Retry on conflict with the pod re-read from the cache (or the server when the cache is behind).
                var fresh = pods.Get(pod.Metadata.NamespaceProperty, pod.Metadata.Name);
                if (fresh is null || fresh.Metadata.ResourceVersion == current.Metadata.ResourceVersion)
                {
                    fresh = await client.GetAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, ct).ConfigureAwait(false);
                }

                if (fresh is null)
                {
                    return;
                }

                current = ModelCopy.Clone(fresh);
            }
            catch (ApiException e)
            {
                RecordPodEvent("update", set, current, e);
                throw;
            }
        }
    }

    public bool ClaimsUpToDate(V1StatefulSet set, V1Pod pod)
    {
        if (set.Spec.VolumeClaimTemplates is not { Count: > 0 })
        {
            return true;
        }

        var ordinal = StatefulSetPods.Ordinal(pod);
        foreach (var template in set.Spec.VolumeClaimTemplates)
        {
            var claim = claims.Get(set.Metadata.NamespaceProperty, StatefulSetPods.ClaimName(set, template, ordinal));
            if (claim is not null && !RetentionPolicy.IsUpToDate(claim, set, pod))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>PodClaimIsStale: a claim of this ordinal still owned by a previous (scaled-down) pod.</summary>
    public bool PodClaimIsStale(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = StatefulSetPods.Ordinal(pod);
        foreach (var template in set.Spec.VolumeClaimTemplates ?? [])
        {
            var claim = claims.Get(set.Metadata.NamespaceProperty, StatefulSetPods.ClaimName(set, template, ordinal));
            if (claim is not null && RetentionPolicy.ClaimIsStale(claim, set, pod))
            {
                return true;
            }
        }

        return false;
    }

    public async Task UpdatePodClaimForRetentionPolicyAsync(V1StatefulSet set, V1Pod pod, CancellationToken ct)
    {
        var ordinal = StatefulSetPods.Ordinal(pod);
        var errors = new List<string>();
        foreach (var template in set.Spec.VolumeClaimTemplates ?? [])
        {
            var name = StatefulSetPods.ClaimName(set, template, ordinal);
            var cached = claims.Get(set.Metadata.NamespaceProperty, name);
            if (cached is null)
            {
                // Missing claims are picked up on a later sync, as upstream.
                continue;
            }

            if (RetentionPolicy.IsUpToDate(cached, set, pod))
            {
                continue;
            }

            if (RetentionPolicy.HasUnexpectedController(cached, set, pod))
            {
                recorder.Event(set, EventRecorder.Warning, "ConflictingController",
                    $"PersistentVolumeClaim {name} has a conflicting OwnerReference that acts as a manging controller, " +
                    "the retention policy is ignored for this claim");
            }

            var claim = ModelCopy.Clone(cached);
            if (!RetentionPolicy.Update(claim, set, pod))
            {
                continue;
            }

            try
            {
                await client.UpdateAsync(claim, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                // Deleted meanwhile: nothing to own.
            }
            catch (ApiException e)
            {
                errors.Add($"could not update claim {name} for delete policy ownerRefs: {e.Message}");
            }
        }

        if (errors.Count > 0)
        {
            throw new ApiException(500, "InternalError", string.Join("; ", errors));
        }
    }

    /// <summary>createPersistentVolumeClaims: create each missing claim (event per claim), fail on one being deleted.</summary>
    public async Task CreateMissingClaimsAsync(V1StatefulSet set, V1Pod pod, CancellationToken ct)
    {
        var errors = new List<string>();
        foreach (var (_, claim) in StatefulSetPods.Claims(set, StatefulSetPods.Ordinal(pod)))
        {
            var existing = claims.Get(claim.Metadata.NamespaceProperty, claim.Metadata.Name);
            if (existing is not null)
            {
                if (existing.Metadata.DeletionTimestamp is not null)
                {
                    errors.Add($"pvc {claim.Metadata.Name} is being deleted");
                }

                continue;
            }

            try
            {
                await client.CreateAsync(claim, ct).ConfigureAwait(false);
                RecordClaimEvent(set, pod, claim, null);
            }
            catch (ApiException e) when (e.IsAlreadyExists)
            {
                // The cache is behind our own earlier create: the claim is there, which is all the pod needs.
            }
            catch (ApiException e)
            {
                errors.Add($"failed to create PVC {claim.Metadata.Name}: {e.Message}");
                RecordClaimEvent(set, pod, claim, e);
            }
        }

        if (errors.Count > 0)
        {
            throw new ApiException(500, "InternalError", string.Join("; ", errors));
        }
    }

    private void RecordPodEvent(string verb, V1StatefulSet set, V1Pod pod, Exception? error)
    {
        var reason = (error is null ? "Successful" : "Failed") + char.ToUpperInvariant(verb[0]) + verb[1..];
        if (error is null)
        {
            recorder.Event(set, EventRecorder.Normal, reason,
                $"{verb} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        else
        {
            recorder.Event(set, EventRecorder.Warning, reason,
                $"{verb} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {error.Message}");
        }
    }

    private void RecordClaimEvent(V1StatefulSet set, V1Pod pod, V1PersistentVolumeClaim claim, Exception? error)
    {
        if (error is null)
        {
            recorder.Event(set, EventRecorder.Normal, "SuccessfulCreate",
                $"create Claim {claim.Metadata.Name} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} success");
        }
        else
        {
            recorder.Event(set, EventRecorder.Warning, "FailedCreate",
                $"create Claim {claim.Metadata.Name} for Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {error.Message}");
        }
    }
}
