using System.Globalization;
using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

internal sealed partial class StatefulSetControl
{
    /// <summary>Set by the controller: records creates/deletes it must observe before trusting its cache again.</summary>
    public ControllerExpectations? Expectations { get; init; }

    private async Task<(V1StatefulSetStatus Status, Exception? Error)> UpdatePodsAsync(V1StatefulSet set,
        V1ControllerRevision current, V1ControllerRevision update, int collisionCount, IReadOnlyList<V1Pod> pods, CancellationToken ct)
    {
        var key = ObjectKeys.Of(set);
        var currentSet = ControllerRevisions.Apply(set, current);
        var updateSet = ControllerRevisions.Apply(set, update);
        var now = time.GetUtcNow();
        var minReady = set.Spec.MinReadySeconds ?? 0;
        var replicaCount = StatefulSetPods.Replicas(set);
        var start = StatefulSetPods.StartOrdinal(set);
        var monotonic = set.Spec.PodManagementPolicy != "Parallel";

        // Bucket the pods: in range by slot, condemned (valid ordinal outside the range) highest first.
        var replicas = new V1Pod[replicaCount];
        var condemned = new List<V1Pod>();
        foreach (var pod in pods)
        {
            var ordinal = StatefulSetPods.Ordinal(pod);
            if (StatefulSetPods.InOrdinalRange(set, ordinal))
            {
                replicas[ordinal - start] = pod;
            }
            else if (ordinal >= 0)
            {
                condemned.Add(pod);
            }
        }

        for (var i = 0; i < replicaCount; i++)
        {
            replicas[i] ??= NewVersionedPod(currentSet, updateSet, current.Metadata.Name, update.Metadata.Name, i + start, set.Status?.CurrentReplicas ?? 0);
        }

        condemned.Sort((a, b) => StatefulSetPods.Ordinal(b).CompareTo(StatefulSetPods.Ordinal(a)));
        var firstUnavailable = replicas.FirstOrDefault(p => StatefulSetPods.IsUnavailable(p, minReady, now))
            ?? condemned.OrderBy(StatefulSetPods.Ordinal).FirstOrDefault(p => StatefulSetPods.IsUnavailable(p, minReady, now));

        V1StatefulSetStatus Status() => ComputeStatus(set, current, update, collisionCount, replicas.Concat(condemned), minReady, now);

        // A set being deleted only reports status; the garbage collector removes its pods.
        if (set.Metadata.DeletionTimestamp is not null)
        {
            return (Status(), null);
        }

        var (stopped, error) = await RunForAllAsync(replicaCount, i => ProcessReplicaAsync(set, updateSet, replicas, i, monotonic, minReady, now, key, ct), monotonic)
            .ConfigureAwait(false);
        if (stopped || error is not null)
        {
            return (Status(), error);
        }

        // Give scaled-down claims their pod owner (whenScaled=Delete) before the pod goes away.
        foreach (var pod in condemned)
        {
            if (!podControl.ClaimsUpToDate(set, pod))
            {
                try
                {
                    await podControl.UpdatePodClaimForRetentionPolicyAsync(set, pod, ct).ConfigureAwait(false);
                }
                catch (ApiException e)
                {
                    return (Status(), e);
                }
            }
        }

        (stopped, error) = await RunForAllAsync(condemned.Count, i => ProcessCondemnedAsync(set, condemned[i], firstUnavailable, monotonic, minReady, now, key, ct), monotonic)
            .ConfigureAwait(false);
        if (stopped || error is not null)
        {
            return (Status(), error);
        }

        var status = Status();
        if (set.Spec.UpdateStrategy?.Type == "OnDelete")
        {
            // OnDelete: pods change revision only when someone else deletes them.
            return (status, null);
        }

        error = set.Spec.UpdateStrategy?.RollingUpdate?.MaxUnavailable is null
            ? await RollOneAsync(set, replicas, update, status, minReady, now, key, ct).ConfigureAwait(false)
            : await RollWithMaxUnavailableAsync(set, replicas, update, status, minReady, now, monotonic, key, ct).ConfigureAwait(false);
        return (status, error);
    }

    /// <summary>processReplica: returns true to stop the pass (monotonic) or on error.</summary>
    private async Task<bool> ProcessReplicaAsync(V1StatefulSet set, V1StatefulSet updateSet, V1Pod[] replicas, int i, bool monotonic,
        int minReady, DateTimeOffset now, string key, CancellationToken ct)
    {
        var pod = replicas[i];

        // Failed or Succeeded pods (evicted, node shutdown) are deleted; the replacement comes on a later sync,
        // once the old object is gone (upstream since 1.30, #123809).
        if (StatefulSetPods.IsFailed(pod) || StatefulSetPods.IsSucceeded(pod))
        {
            if (!StatefulSetPods.IsTerminating(pod))
            {
                await DeleteAsync(set, pod, key, ct).ConfigureAwait(false);
            }

            return true;
        }

        if (!StatefulSetPods.IsCreated(pod))
        {
            if (podControl.PodClaimIsStale(set, pod))
            {
                // Wait for the garbage collector to remove the previous pod's claim (whenScaled=Delete).
                return true;
            }

            Expectations?.ExpectCreations(key, [pod.Metadata.Name]);
            try
            {
                var created = await podControl.CreateStatefulPodAsync(set, pod, ct).ConfigureAwait(false);
                if (created is not null)
                {
                    replicas[i] = created;
                }
            }
            catch
            {
                Expectations?.CreationObserved(key, pod.Metadata.Name);
                throw;
            }

            return monotonic;
        }

        if (StatefulSetPods.IsPending(pod))
        {
            // Lets a pending pod whose claim was deleted recover (upstream e2e 28).
            await podControl.CreateMissingClaimsAsync(set, pod, ct).ConfigureAwait(false);
        }

        if (monotonic && (StatefulSetPods.IsTerminating(pod)
            || !StatefulSetPods.IsRunningAndReady(pod)
            || !StatefulSetPods.IsRunningAndAvailable(pod, minReady, now)))
        {
            return true;
        }

        if (StatefulSetPods.IdentityMatches(set, pod) && StatefulSetPods.StorageMatches(set, pod) && podControl.ClaimsUpToDate(updateSet, pod))
        {
            return false;
        }

        await podControl.UpdateStatefulPodAsync(updateSet, pod, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>processCondemned: scale down from the highest ordinal; monotonic waits on terminating and unhealthy pods.</summary>
    private async Task<bool> ProcessCondemnedAsync(V1StatefulSet set, V1Pod pod, V1Pod? firstUnavailable, bool monotonic,
        int minReady, DateTimeOffset now, string key, CancellationToken ct)
    {
        if (StatefulSetPods.IsTerminating(pod))
        {
            return monotonic;
        }

        if (monotonic && !ReferenceEquals(pod, firstUnavailable)
            && (!StatefulSetPods.IsRunningAndReady(pod) || !StatefulSetPods.IsRunningAndAvailable(pod, minReady, now)))
        {
            return true;
        }

        await DeleteAsync(set, pod, key, ct).ConfigureAwait(false);
        return monotonic;
    }

    /// <summary>The legacy rolling update: one pod at a time, highest ordinal first, down to the partition.</summary>
    private async Task<Exception?> RollOneAsync(V1StatefulSet set, V1Pod[] replicas, V1ControllerRevision update,
        V1StatefulSetStatus status, int minReady, DateTimeOffset now, string key, CancellationToken ct)
    {
        var updateMin = set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
        for (var target = replicas.Length - 1; target >= updateMin; target--)
        {
            var pod = replicas[target];
            if (StatefulSetPods.Revision(pod) != update.Metadata.Name && !StatefulSetPods.IsTerminating(pod))
            {
                try
                {
                    await DeleteAsync(set, pod, key, ct).ConfigureAwait(false);
                }
                catch (ApiException e)
                {
                    return e;
                }

                status.CurrentReplicas--;
                return null;
            }

            if (StatefulSetPods.IsUnavailable(pod, minReady, now))
            {
                // Waiting for the pod to update.
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The MaxUnavailableStatefulSet path, used when spec.updateStrategy.rollingUpdate.maxUnavailable is set. For
    /// Parallel sets it includes the planned 1.37 fix (#137409): unavailable old-revision pods are always replaced.
    /// </summary>
    private async Task<Exception?> RollWithMaxUnavailableAsync(V1StatefulSet set, V1Pod[] replicas, V1ControllerRevision update,
        V1StatefulSetStatus status, int minReady, DateTimeOffset now, bool monotonic, string key, CancellationToken ct)
    {
        var updateMin = set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
        var maxUnavailable = MaxUnavailable(set);
        var unavailable = replicas.Count(p => StatefulSetPods.IsUnavailable(p, minReady, now));
        bool NeedsUpdate(V1Pod p) => StatefulSetPods.Revision(p) != update.Metadata.Name && !StatefulSetPods.IsTerminating(p);
        try
        {
            if (!monotonic)
            {
                for (var target = replicas.Length - 1; target >= updateMin; target--)
                {
                    if (NeedsUpdate(replicas[target]) && StatefulSetPods.IsUnavailable(replicas[target], minReady, now))
                    {
                        await DeleteAsync(set, replicas[target], key, ct).ConfigureAwait(false);
                        status.CurrentReplicas--;
                    }
                }
            }

            var budget = maxUnavailable - unavailable;
            for (var target = replicas.Length - 1; target >= updateMin && budget > 0; target--)
            {
                var pod = replicas[target];
                if (NeedsUpdate(pod) && (monotonic || !StatefulSetPods.IsUnavailable(pod, minReady, now)))
                {
                    await DeleteAsync(set, pod, key, ct).ConfigureAwait(false);
                    status.CurrentReplicas--;
                    budget--;
                }
            }
        }
        catch (ApiException e)
        {
            return e;
        }

        return null;
    }

    /// <summary>maxUnavailable: an int, or a percent of replicas rounded down; at least 1.</summary>
    internal static int MaxUnavailable(V1StatefulSet set)
    {
        var value = set.Spec.UpdateStrategy?.RollingUpdate?.MaxUnavailable?.Value;
        if (string.IsNullOrEmpty(value))
        {
            return 1;
        }

        int result;
        if (value.EndsWith('%'))
        {
            var percent = int.Parse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);
            result = (int)Math.Floor(StatefulSetPods.Replicas(set) * percent / 100.0);
        }
        else
        {
            result = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        return Math.Max(1, result);
    }

    private async Task DeleteAsync(V1StatefulSet set, V1Pod pod, string key, CancellationToken ct)
    {
        Expectations?.ExpectDeletions(key, [pod.Metadata.Name]);
        try
        {
            await podControl.DeleteStatefulPodAsync(set, pod, ct).ConfigureAwait(false);
        }
        catch
        {
            Expectations?.DeletionObserved(key, pod.Metadata.Name);
            throw;
        }
    }

    /// <summary>
    /// runForAll: in order, stopping at the first "stop" (monotonic); or concurrently in slow-start batches of
    /// 1, 2, 4, ... (at most 500), skipping the rest after a batch with errors (Parallel).
    /// </summary>
    private static async Task<(bool Stopped, Exception? Error)> RunForAllAsync(int count, Func<int, Task<bool>> fn, bool monotonic)
    {
        if (monotonic)
        {
            for (var i = 0; i < count; i++)
            {
                try
                {
                    if (await fn(i).ConfigureAwait(false))
                    {
                        return (true, null);
                    }
                }
                catch (ApiException e)
                {
                    return (true, e);
                }
            }

            return (false, null);
        }

        var next = 0;
        for (var batch = Math.Min(count, 1); batch > 0; batch = Math.Min(Math.Min(batch * 2, MaxBatchSize), count - next))
        {
            var tasks = new Task<bool>[batch];
            for (var j = 0; j < batch; j++)
            {
                var index = next + j;
                tasks[j] = Task.Run(() => fn(index));
            }

            next += batch;
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (ApiException)
            {
                var errors = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!.Message);
                return (true, new ApiException(500, "InternalError", string.Join("; ", errors)));
            }
        }

        return (false, null);
    }

    /// <summary>newVersionedStatefulSetPod: ordinals below the partition come from the current revision.</summary>
    internal static V1Pod NewVersionedPod(V1StatefulSet currentSet, V1StatefulSet updateSet, string currentRevision, string updateRevision,
        int ordinal, int statusCurrentReplicas)
    {
        var start = StatefulSetPods.StartOrdinal(currentSet);
        var strategy = currentSet.Spec.UpdateStrategy;
        var useCurrent = ((strategy?.Type ?? "RollingUpdate") == "RollingUpdate" && strategy?.RollingUpdate is null && ordinal < start + statusCurrentReplicas)
            || (strategy?.RollingUpdate is not null && ordinal < start + (strategy.RollingUpdate.Partition ?? 0));
        var pod = StatefulSetPods.NewPod(useCurrent ? currentSet : updateSet, ordinal);
        pod.Metadata.Labels[StatefulSetLabels.ControllerRevisionHash] = useCurrent ? currentRevision : updateRevision;
        return pod;
    }

    internal static V1StatefulSetStatus ComputeStatus(V1StatefulSet set, V1ControllerRevision current, V1ControllerRevision update,
        int collisionCount, IEnumerable<V1Pod> pods, int minReady, DateTimeOffset now)
    {
        var status = new V1StatefulSetStatus
        {
            ObservedGeneration = set.Metadata.Generation,
            CurrentRevision = current.Metadata.Name,
            UpdateRevision = update.Metadata.Name,
            CollisionCount = collisionCount,
            Replicas = 0,
            ReadyReplicas = 0,
            AvailableReplicas = 0,
            CurrentReplicas = 0,
            UpdatedReplicas = 0,
        };
        foreach (var pod in pods)
        {
            var created = StatefulSetPods.IsCreated(pod);
            if (created)
            {
                status.Replicas++;
            }

            if (StatefulSetPods.IsRunningAndReady(pod))
            {
                status.ReadyReplicas++;
                if (StatefulSetPods.IsAvailable(pod, minReady, now))
                {
                    status.AvailableReplicas++;
                }
            }

            if (created && !StatefulSetPods.IsTerminating(pod))
            {
                var revision = StatefulSetPods.Revision(pod);
                if (revision == current.Metadata.Name)
                {
                    status.CurrentReplicas++;
                }

                if (revision == update.Metadata.Name)
                {
                    status.UpdatedReplicas++;
                }
            }
        }

        return status;
    }
}
