using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// The StatefulSet control loop (stateful_set_control.go, paraphrased as our own code): revisions, then the
/// per-replica pass in ordinal order, then scale-down of condemned pods, then the rolling update, then status.
/// One call is one level-based reconcile of one set; it decides everything from the informer caches.
/// </summary>
internal sealed partial class StatefulSetControl(
    IApiClient client,
    StatefulPodControl podControl,
    Informer<V1ControllerRevision> revisions,
    Informer<V1StatefulSet> sets,
    TimeProvider time)
{
    private const int MaxBatchSize = 500;

    /// <summary>Reconciles the set against its claimed pods; returns the status it wrote (or would have).</summary>
    public async Task<V1StatefulSetStatus> UpdateStatefulSetAsync(V1StatefulSet set, IReadOnlyList<V1Pod> pods, CancellationToken ct)
    {
        set = ModelCopy.Clone(set);
        var history = ControllerRevisions.Sort(revisions.ByIndex(IndexNames.ControllerUid, set.Metadata.Uid));
        V1ControllerRevision? current = null;
        V1ControllerRevision? update = null;
        try
        {
            (current, update, var collisionCount) = await GetRevisionsAsync(set, history, ct).ConfigureAwait(false);
            var (status, error) = await UpdatePodsAsync(set, current, update, collisionCount, pods, ct).ConfigureAwait(false);
            await UpdateStatusAsync(set, status, ct).ConfigureAwait(false);
            if (error is not null)
            {
                throw error;
            }

            return status;
        }
        finally
        {
            await TruncateHistoryAsync(set, pods, history, current, update, ct).ConfigureAwait(false);
        }
    }

    /// <summary>getStatefulSetRevisions: find or create the update revision, renumbering an equal old one (rollback).</summary>
    private async Task<(V1ControllerRevision Current, V1ControllerRevision Update, int CollisionCount)> GetRevisionsAsync(
        V1StatefulSet set, List<V1ControllerRevision> history, CancellationToken ct)
    {
        var collisionCount = set.Status?.CollisionCount ?? 0;
        var candidate = ControllerRevisions.New(set, ControllerRevisions.NextRevision(history), collisionCount);
        var equal = history.Where(r => ControllerRevisions.Equal(r, candidate)).ToList();
        V1ControllerRevision update;
        if (equal.Count > 0 && ControllerRevisions.Equal(history[^1], equal[^1]))
        {
            update = history[^1];
        }
        else if (equal.Count > 0)
        {
            update = await RenumberRevisionAsync(equal[^1], candidate.Revision ?? 1, ct).ConfigureAwait(false);
        }
        else
        {
            (update, collisionCount) = await CreateRevisionAsync(set, candidate, collisionCount, ct).ConfigureAwait(false);
        }

        var current = history.FirstOrDefault(r => r.Metadata.Name == set.Status?.CurrentRevision) ?? update;
        return (current, update, collisionCount);
    }

    private async Task<(V1ControllerRevision, int)> CreateRevisionAsync(
        V1StatefulSet set, V1ControllerRevision revision, int collisionCount, CancellationToken ct)
    {
        var data = ControllerRevisions.Data(revision);
        while (true)
        {
            revision.Metadata.Name = RevisionHashing.RevisionName(set.Metadata.Name, RevisionHashing.Hash(data, collisionCount));
            try
            {
                return (await client.CreateAsync(revision, ct).ConfigureAwait(false), collisionCount);
            }
            catch (ApiException e) when (e.IsAlreadyExists)
            {
                var existing = await client.GetAsync<V1ControllerRevision>(set.Metadata.NamespaceProperty, revision.Metadata.Name, ct)
                    .ConfigureAwait(false) ?? throw new ApiException(e.StatusCode, e.Reason, e.Message);
                if (ControllerRevisions.Data(existing).AsSpan().SequenceEqual(data))
                {
                    return (existing, collisionCount);
                }

                // A hash collision with different content: bump collisionCount and try the next name.
                collisionCount++;
            }
        }
    }

    private async Task<V1ControllerRevision> RenumberRevisionAsync(V1ControllerRevision revision, long number, CancellationToken ct)
    {
        var clone = ModelCopy.Clone(revision);
        for (var attempt = 0; ; attempt++)
        {
            if (clone.Revision == number)
            {
                return clone;
            }

            clone.Revision = number;
            try
            {
                return await client.UpdateAsync(clone, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsConflict && attempt < 5)
            {
                clone = await client.GetAsync<V1ControllerRevision>(revision.Metadata.NamespaceProperty, revision.Metadata.Name, ct)
                    .ConfigureAwait(false) ?? throw new ApiException(e.StatusCode, e.Reason, e.Message);
            }
        }
    }

    /// <summary>truncateHistory: delete the oldest non-live revisions beyond revisionHistoryLimit.</summary>
    private async Task TruncateHistoryAsync(V1StatefulSet set, IReadOnlyList<V1Pod> pods, List<V1ControllerRevision> history,
        V1ControllerRevision? current, V1ControllerRevision? update, CancellationToken ct)
    {
        var limit = set.Spec.RevisionHistoryLimit ?? 10;
        if (limit < 0)
        {
            return;
        }

        var live = new HashSet<string>(StringComparer.Ordinal);
        if (current is not null)
        {
            live.Add(current.Metadata.Name);
        }

        if (update is not null)
        {
            live.Add(update.Metadata.Name);
        }

        foreach (var pod in pods)
        {
            if (StatefulSetPods.Revision(pod) is { } r)
            {
                live.Add(r);
            }
        }

        var old = history.Where(r => !live.Contains(r.Metadata.Name)).ToList();
        for (var i = 0; i < old.Count - limit; i++)
        {
            try
            {
                await client.DeleteAsync<V1ControllerRevision>(old[i].Metadata.NamespaceProperty, old[i].Metadata.Name, null, ct)
                    .ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                // Already gone.
            }
        }
    }

    /// <summary>
    /// updateStatefulSetStatus: apply the completion rule, then write only if something observable changed,
    /// retrying conflicts against a fresh copy of the set.
    /// </summary>
    private async Task UpdateStatusAsync(V1StatefulSet set, V1StatefulSetStatus status, CancellationToken ct)
    {
        CompleteRollingUpdate(set, status);
        if (!InconsistentStatus(set, status))
        {
            return;
        }

        var target = ModelCopy.Clone(set);
        for (var attempt = 0; ; attempt++)
        {
            target.Status = status;
            try
            {
                await client.UpdateStatusAsync(target, ct).ConfigureAwait(false);
                return;
            }
            catch (ApiException e) when (e.IsConflict && attempt < 5)
            {
                var fresh = sets.Get(set.Metadata.NamespaceProperty, set.Metadata.Name);
                if (fresh is null || fresh.Metadata.ResourceVersion == target.Metadata.ResourceVersion)
                {
                    fresh = await client.GetAsync<V1StatefulSet>(set.Metadata.NamespaceProperty, set.Metadata.Name, ct).ConfigureAwait(false);
                }

                if (fresh is null || fresh.Metadata.Uid != set.Metadata.Uid)
                {
                    return;
                }

                target = ModelCopy.Clone(fresh);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                return;
            }
        }
    }

    /// <summary>completeRollingUpdate: once every replica is updated and ready, the update revision becomes current.</summary>
    internal static void CompleteRollingUpdate(V1StatefulSet set, V1StatefulSetStatus status)
    {
        var replicas = StatefulSetPods.Replicas(set);
        if ((set.Spec.UpdateStrategy?.Type ?? "RollingUpdate") == "RollingUpdate"
            && status.UpdatedReplicas == replicas
            && status.ReadyReplicas == replicas
            && status.Replicas == replicas)
        {
            status.CurrentReplicas = status.UpdatedReplicas;
            status.CurrentRevision = status.UpdateRevision;
        }
    }

    /// <summary>inconsistentStatus: collisionCount alone does not justify a write.</summary>
    internal static bool InconsistentStatus(V1StatefulSet set, V1StatefulSetStatus status)
    {
        var s = set.Status;
        if (s is null)
        {
            return true;
        }

        return status.ObservedGeneration > (s.ObservedGeneration ?? 0)
            || status.Replicas != s.Replicas
            || status.CurrentReplicas != (s.CurrentReplicas ?? 0)
            || status.ReadyReplicas != (s.ReadyReplicas ?? 0)
            || status.UpdatedReplicas != (s.UpdatedReplicas ?? 0)
            || status.AvailableReplicas != (s.AvailableReplicas ?? 0)
            || status.CurrentRevision != s.CurrentRevision
            || status.UpdateRevision != s.UpdateRevision;
    }
}
