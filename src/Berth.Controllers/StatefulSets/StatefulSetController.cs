using System.Text.Json;
using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>
/// The StatefulSet controller (pkg/controller/statefulset/stateful_set.go): event handlers that map pod and set
/// changes to set keys, a rate-limited work queue with N workers, and a level-based sync that claims revisions and
/// pods, then runs <see cref="StatefulSetControl"/>. Errors requeue with per-key exponential backoff, never a hot loop.
/// </summary>
internal sealed class StatefulSetController : IDisposable
{
    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly Informer<V1StatefulSet> _sets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1ControllerRevision> _revisions;
    private readonly WorkQueue _queue;
    private readonly ControllerExpectations _expectations;
    private readonly StatefulSetControl _control;
    private readonly int _workers;
    private long _syncCount;

    public StatefulSetController(InformerFactory informers, EventRecorder recorder, int workers = 5)
    {
        _client = informers.Client;
        _time = informers.Time;
        _workers = workers;
        _sets = informers.For<V1StatefulSet>();
        _pods = informers.For<V1Pod>();
        _revisions = informers.For<V1ControllerRevision>();
        var claims = informers.For<V1PersistentVolumeClaim>();
        _queue = new WorkQueue(_time);
        _expectations = new ControllerExpectations(_time);
        var podControl = new StatefulPodControl(_client, _pods, claims, recorder);
        _control = new StatefulSetControl(_client, podControl, _revisions, _sets, _time) { Expectations = _expectations };
        _sets.AddHandler(new InformerHandler<V1StatefulSet>(Enqueue, (_, s) => Enqueue(s), OnSetDeleted));
        _pods.AddHandler(new InformerHandler<V1Pod>(AddPod, UpdatePod, DeletePod));
    }

    /// <summary>Syncs completed (successful or not); benchmarks and tests read it.</summary>
    public long SyncCount => Interlocked.Read(ref _syncCount);

    public Task RunAsync(CancellationToken cancellationToken) => _queue.RunWorkersAsync(_workers, CountedSyncAsync, cancellationToken);

    public void Dispose() => _queue.Dispose();

    internal void Enqueue(V1StatefulSet set) => _queue.Add(ObjectKeys.Of(set));

    private void OnSetDeleted(V1StatefulSet set)
    {
        _expectations.Delete(ObjectKeys.Of(set));
        Enqueue(set);
    }

    private async Task CountedSyncAsync(string key, CancellationToken ct)
    {
        try
        {
            await SyncAsync(key, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _syncCount);
        }
    }

    /// <summary>sync: claim revisions and pods, run the control loop, requeue for minReadySeconds.</summary>
    internal async Task SyncAsync(string key, CancellationToken ct)
    {
        var set = _sets.GetByKey(key);
        if (set is null)
        {
            _expectations.Delete(key);
            return;
        }

        if (set.Spec?.Selector is null)
        {
            // Selector conversion error: dropped, never retried (upstream logs and forgets).
            return;
        }

        if (!_expectations.Satisfied(key))
        {
            // The informer has not yet delivered our previous creates/deletes; their events requeue us.
            return;
        }

        await AdoptOrphanRevisionsAsync(set, ct).ConfigureAwait(false);
        var pods = await ClaimPodsAsync(set, ct).ConfigureAwait(false);
        var status = await _control.UpdateStatefulSetAsync(set, pods, ct).ConfigureAwait(false);
        var minReady = set.Spec.MinReadySeconds ?? 0;
        if (minReady > 0 && status.AvailableReplicas != StatefulSetPods.Replicas(set))
        {
            _queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
        }
    }

    private async Task AdoptOrphanRevisionsAsync(V1StatefulSet set, CancellationToken ct)
    {
        var orphans = _revisions.ByIndex(IndexNames.ControllerUid, "orphan/" + set.Metadata.NamespaceProperty)
            .Where(r => LabelSelectors.Matches(set.Spec.Selector, r.Metadata.Labels))
            .ToList();
        if (orphans.Count == 0)
        {
            return;
        }

        await RecheckOwnerAsync(set, "ControllerRevisions", ct).ConfigureAwait(false);
        foreach (var revision in orphans)
        {
            await PatchOwnerRefsAsync<V1ControllerRevision>(revision, [.. revision.Metadata.OwnerReferences ?? [], StatefulSetPods.ControllerRef(set)], ct)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// ClaimPods (ControllerRefManager): keep owned members that still match; release owned pods that no longer
    /// match; adopt matching orphans by name pattern. Pods owned by another controller are ignored.
    /// </summary>
    private async Task<List<V1Pod>> ClaimPodsAsync(V1StatefulSet set, CancellationToken ct)
    {
        var uid = set.Metadata.Uid;
        var candidates = _pods.ByIndex(IndexNames.ControllerUid, uid)
            .Concat(_pods.ByIndex(IndexNames.ControllerUid, "orphan/" + set.Metadata.NamespaceProperty));
        var claimed = new List<V1Pod>();
        var deleting = set.Metadata.DeletionTimestamp is not null;
        var rechecked = false;
        foreach (var pod in candidates)
        {
            var matches = LabelSelectors.Matches(set.Spec.Selector, pod.Metadata.Labels) && StatefulSetPods.IsMemberOf(set, pod);
            var owner = pod.Metadata.ControllerRef();
            if (owner is not null)
            {
                if (owner.Uid != uid)
                {
                    continue;
                }

                if (matches)
                {
                    claimed.Add(pod);
                }
                else if (!deleting)
                {
                    // Release: drop our ref (NotFound means the pod is gone, which is just as good).
                    await PatchOwnerRefsAsync<V1Pod>(pod, [.. pod.Metadata.OwnerReferences!.Where(r => r.Uid != uid)], ct).ConfigureAwait(false);
                }

                continue;
            }

            if (deleting || !matches || StatefulSetPods.IsTerminating(pod) || pod.Metadata.NamespaceProperty != set.Metadata.NamespaceProperty)
            {
                continue;
            }

            if (!rechecked)
            {
                await RecheckOwnerAsync(set, "Pods", ct).ConfigureAwait(false);
                rechecked = true;
            }

            var adopted = await PatchOwnerRefsAsync<V1Pod>(pod, [.. pod.Metadata.OwnerReferences ?? [], StatefulSetPods.ControllerRef(set)], ct)
                .ConfigureAwait(false);
            if (adopted is not null)
            {
                claimed.Add(adopted);
            }
        }

        return claimed;
    }

    /// <summary>The uncached re-read before adopting: the set must still be the same object and not deleting.</summary>
    private async Task RecheckOwnerAsync(V1StatefulSet set, string what, CancellationToken ct)
    {
        var fresh = await _client.GetAsync<V1StatefulSet>(set.Metadata.NamespaceProperty, set.Metadata.Name, ct).ConfigureAwait(false);
        if (fresh is null || fresh.Metadata.Uid != set.Metadata.Uid)
        {
            throw new ApiException(500, "InternalError",
                $"can't adopt {what}: original StatefulSet {set.Metadata.NamespaceProperty}/{set.Metadata.Name} is gone: " +
                $"got uid {fresh?.Metadata.Uid}, wanted {set.Metadata.Uid}");
        }

        if (fresh.Metadata.DeletionTimestamp is not null)
        {
            throw new ApiException(500, "InternalError",
                $"can't adopt {what}: {set.Metadata.NamespaceProperty}/{set.Metadata.Name} has just been deleted at {fresh.Metadata.DeletionTimestamp:O}");
        }
    }

    /// <summary>
    /// Replaces the ownerReferences with a JSON merge patch carrying the uid and resourceVersion as preconditions,
    /// so adoption/release never races another writer (upstream uses a strategic merge patch with a uid precondition).
    /// </summary>
    private async Task<T?> PatchOwnerRefsAsync<T>(T obj, List<V1OwnerReference> refs, CancellationToken ct)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteString("uid", obj.Metadata.Uid);
            w.WriteString("resourceVersion", obj.Metadata.ResourceVersion);
            w.WritePropertyName("ownerReferences");
            w.WriteRawValue(Serialization.BerthJson.SerializeToUtf8Bytes<IList<V1OwnerReference>>(refs));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        try
        {
            return await _client.PatchAsync<T>(obj.Metadata.NamespaceProperty, obj.Metadata.Name, PatchType.Merge, stream.ToArray(), ct)
                .ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private void AddPod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (ResolveOwner(pod) is { } set)
        {
            _expectations.CreationObserved(ObjectKeys.Of(set), pod.Metadata.Name);
            Enqueue(set);
            return;
        }

        if (pod.Metadata.ControllerRef() is null)
        {
            foreach (var s in MatchingSets(pod))
            {
                Enqueue(s);
            }
        }
    }

    private void UpdatePod(V1Pod oldPod, V1Pod pod)
    {
        if (oldPod.Metadata.ResourceVersion == pod.Metadata.ResourceVersion)
        {
            return;
        }

        var oldRef = oldPod.Metadata.ControllerRef();
        var newRef = pod.Metadata.ControllerRef();
        if (oldRef is not null && oldRef.Uid != newRef?.Uid && ResolveOwner(oldPod) is { } oldSet)
        {
            Enqueue(oldSet);
        }

        if (ResolveOwner(pod) is { } set)
        {
            var key = ObjectKeys.Of(set);
            _expectations.CreationObserved(key, pod.Metadata.Name);
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                _expectations.DeletionObserved(key, pod.Metadata.Name);
            }

            Enqueue(set);
            var minReady = set.Spec.MinReadySeconds ?? 0;
            if (minReady > 0 && !StatefulSetPods.IsReady(oldPod) && StatefulSetPods.IsReady(pod))
            {
                // Re-check availability once minReadySeconds have passed since the pod became ready.
                _queue.AddAfter(key, TimeSpan.FromSeconds(minReady + 1));
            }

            return;
        }

        if (newRef is null && (!LabelsEqual(oldPod, pod) || oldRef is not null))
        {
            foreach (var s in MatchingSets(pod))
            {
                Enqueue(s);
            }
        }
    }

    private void DeletePod(V1Pod pod)
    {
        if (ResolveOwner(pod) is { } set)
        {
            var key = ObjectKeys.Of(set);
            _expectations.CreationObserved(key, pod.Metadata.Name);
            _expectations.DeletionObserved(key, pod.Metadata.Name);
            Enqueue(set);
        }
    }

    private V1StatefulSet? ResolveOwner(V1Pod pod)
    {
        var owner = pod.Metadata.ControllerRef();
        if (owner is null || owner.Kind != "StatefulSet")
        {
            return null;
        }

        var set = _sets.Get(pod.Metadata.NamespaceProperty, owner.Name);
        return set?.Metadata.Uid == owner.Uid ? set : null;
    }

    private IEnumerable<V1StatefulSet> MatchingSets(V1Pod pod) =>
        _sets.ListNamespace(pod.Metadata.NamespaceProperty).Where(s => LabelSelectors.Matches(s.Spec?.Selector, pod.Metadata.Labels));

    private static bool LabelsEqual(V1Pod a, V1Pod b)
    {
        var la = a.Metadata.Labels ?? new Dictionary<string, string>();
        var lb = b.Metadata.Labels ?? new Dictionary<string, string>();
        return la.Count == lb.Count && la.All(kv => lb.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
