using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using k8s;
using k8s.Models;

namespace Berth.Controllers.GarbageCollection;

/// <summary>
/// The garbage collector (pkg/controller/garbagecollector, simplified to one process): a graph of ownerReferences
/// built from informers. An object whose owners are all gone is deleted (Background); an owner deleted with
/// propagationPolicy Foreground (finalizer <c>foregroundDeletion</c>) first has its dependents deleted and keeps
/// existing until no dependent with blockOwnerDeletion remains; an owner deleted with Orphan (finalizer
/// <c>orphan</c>) has its ownerReference removed from every dependent, then the finalizer. Owners absent from the
/// graph are confirmed gone by a live read before anything is deleted, so informer lag never deletes live objects.
/// </summary>
internal sealed class GarbageCollector : IDisposable
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnerKindOperations> _kinds = new(StringComparer.Ordinal);
    private readonly List<Task> _synced = [];
    private readonly WorkQueue _attemptToDelete;
    private readonly WorkQueue _attemptToOrphan;

    public GarbageCollector(InformerFactory informers)
    {
        _attemptToDelete = new WorkQueue(informers.Time);
        _attemptToOrphan = new WorkQueue(informers.Time);
        Monitor<V1StatefulSet>(informers);
        Monitor<V1Pod>(informers);
        Monitor<V1PersistentVolumeClaim>(informers);
        Monitor<V1ControllerRevision>(informers);
        Monitor<V1ConfigMap>(informers);
        Monitor<V1Secret>(informers);
        Monitor<V1Service>(informers);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Decisions need the whole graph: wait until every monitored informer has listed once.
        await Task.WhenAll(_synced).WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var node in _nodes.Values)
            {
                Classify(node);
            }
        }

        await Task.WhenAll(
            _attemptToDelete.RunWorkersAsync(2, AttemptToDeleteAsync, cancellationToken),
            _attemptToOrphan.RunWorkersAsync(1, AttemptToOrphanAsync, cancellationToken)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _attemptToDelete.Dispose();
        _attemptToOrphan.Dispose();
    }

    private void Monitor<T>(InformerFactory informers)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var ops = OwnerKindOperations.For<T>(informers.Client);
        _kinds[ops.ApiVersion + "/" + ops.Kind] = ops;
        var informer = informers.For<T>();
        informer.AddHandler(new InformerHandler<T>(o => Upsert(ops, o.Metadata), (_, o) => Upsert(ops, o.Metadata), o => Remove(o.Metadata)));
        _synced.Add(informer.Synced);
    }

    private void Upsert(OwnerKindOperations ops, V1ObjectMeta meta)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(meta.Uid, out var old))
            {
                foreach (var r in old.Metadata.OwnerReferences ?? [])
                {
                    if (_dependents.TryGetValue(r.Uid, out var set))
                    {
                        set.Remove(meta.Uid);
                    }
                }
            }

            var node = new GraphNode(ops, meta);
            _nodes[meta.Uid] = node;
            foreach (var r in meta.OwnerReferences ?? [])
            {
                if (!_dependents.TryGetValue(r.Uid, out var set))
                {
                    set = new HashSet<string>(StringComparer.Ordinal);
                    _dependents[r.Uid] = set;
                }

                set.Add(meta.Uid);
            }

            Classify(node);
        }
    }

    private void Remove(V1ObjectMeta meta)
    {
        lock (_gate)
        {
            if (!_nodes.Remove(meta.Uid, out var old))
            {
                return;
            }

            foreach (var r in old.Metadata.OwnerReferences ?? [])
            {
                if (_dependents.TryGetValue(r.Uid, out var set))
                {
                    set.Remove(meta.Uid);
                }

                // An owner waiting for its dependents may now be free to go.
                if (_nodes.TryGetValue(r.Uid, out var owner) && owner.DeletingDependents)
                {
                    _attemptToDelete.Add(owner.Uid);
                }
            }

            // The owner is gone: every dependent must be re-evaluated.
            if (_dependents.TryGetValue(meta.Uid, out var dependents))
            {
                foreach (var d in dependents)
                {
                    _attemptToDelete.Add(d);
                }
            }
        }
    }

    /// <summary>Queues whatever work this node's state implies (called under the lock).</summary>
    private void Classify(GraphNode node)
    {
        if (node.Orphaning)
        {
            _attemptToOrphan.Add(node.Uid);
        }

        if (node.DeletingDependents)
        {
            _attemptToDelete.Add(node.Uid);
            foreach (var d in _dependents.GetValueOrDefault(node.Uid) ?? [])
            {
                _attemptToDelete.Add(d);
            }
        }

        foreach (var r in node.Metadata.OwnerReferences ?? [])
        {
            if (!_nodes.TryGetValue(r.Uid, out var owner) || owner.DeletingDependents)
            {
                _attemptToDelete.Add(node.Uid);
                break;
            }
        }
    }

    private async Task AttemptToDeleteAsync(string uid, CancellationToken ct)
    {
        GraphNode? node;
        List<GraphNode> blocking;
        lock (_gate)
        {
            node = _nodes.GetValueOrDefault(uid);
            blocking = node is null ? [] : [.. (_dependents.GetValueOrDefault(uid) ?? [])
                .Select(d => _nodes.GetValueOrDefault(d))
                .OfType<GraphNode>()
                .Where(d => d.Metadata.OwnerReferences?.Any(r => r.Uid == uid && r.BlockOwnerDeletion == true) == true)];
        }

        if (node is null)
        {
            return;
        }

        var meta = node.Metadata;
        if (node.DeletingDependents)
        {
            // processDeletingDependentsItem: done once no blocking dependent remains, else push them along.
            if (blocking.Count == 0)
            {
                await RemoveFinalizerAsync(node, ForegroundFinalizer, ct).ConfigureAwait(false);
                return;
            }

            foreach (var d in blocking.Where(d => d.Metadata.DeletionTimestamp is null))
            {
                _attemptToDelete.Add(d.Uid);
            }

            return;
        }

        if (meta.OwnerReferences is not { Count: > 0 })
        {
            return;
        }

        // Decide on the live object, not the graph's copy: the graph may not have seen an update that already
        // removed the reference (e.g. orphaning followed by adoption by a new owner of the same name).
        var latest = await node.Operations.GetAsync(meta.NamespaceProperty, meta.Name, ct).ConfigureAwait(false);
        if (latest is null || latest.Uid != uid)
        {
            return;
        }

        meta = latest;
        node = node with { Metadata = latest };
        var refs = meta.OwnerReferences ?? [];
        if (refs.Count == 0)
        {
            return;
        }

        var solid = new List<V1OwnerReference>();
        var dangling = new List<V1OwnerReference>();
        var waiting = new List<V1OwnerReference>();
        foreach (var r in refs)
        {
            GraphNode? owner;
            lock (_gate)
            {
                owner = _nodes.GetValueOrDefault(r.Uid);
            }

            if (owner is not null)
            {
                (owner.DeletingDependents ? waiting : solid).Add(r);
                continue;
            }

            // Not in the graph: confirm with a live read (by name, then uid) before calling it gone.
            if (!_kinds.TryGetValue(r.ApiVersion + "/" + r.Kind, out var ops))
            {
                solid.Add(r);
                continue;
            }

            var live = await ops.GetAsync(meta.NamespaceProperty, r.Name, ct).ConfigureAwait(false);
            if (live is not null && live.Uid == r.Uid)
            {
                if (live.DeletionTimestamp is not null && live.Finalizers?.Contains(ForegroundFinalizer) == true)
                {
                    waiting.Add(r);
                }
                else
                {
                    solid.Add(r);
                }
            }
            else
            {
                dangling.Add(r);
            }
        }

        if (solid.Count > 0)
        {
            if (dangling.Count > 0 || waiting.Count > 0)
            {
                // Still owned by someone alive: only drop the references to owners that are gone or going.
                var drop = dangling.Concat(waiting).Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
                await PatchAsync(node, "ownerReferences", refs.Where(r => !drop.Contains(r.Uid)), ct).ConfigureAwait(false);
            }

            return;
        }

        if (meta.DeletionTimestamp is not null)
        {
            return;
        }

        bool hasDependents;
        lock (_gate)
        {
            hasDependents = _dependents.GetValueOrDefault(uid) is { Count: > 0 };
        }

        var policy = waiting.Count > 0 && hasDependents ? "Foreground"
            : meta.Finalizers?.Contains(OrphanFinalizer) == true ? "Orphan"
            : meta.Finalizers?.Contains(ForegroundFinalizer) == true ? "Foreground"
            : "Background";
        try
        {
            await node.Operations.DeleteAsync(meta.NamespaceProperty, meta.Name,
                new V1DeleteOptions { PropagationPolicy = policy, Preconditions = new V1Preconditions { Uid = uid } }, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound || e.IsConflict)
        {
            // Gone already, or a new object of that name (not ours to delete).
        }
    }

    /// <summary>Orphan propagation: remove the owner's reference from every dependent, then the orphan finalizer.</summary>
    private async Task AttemptToOrphanAsync(string uid, CancellationToken ct)
    {
        GraphNode? owner;
        List<GraphNode> dependents;
        lock (_gate)
        {
            owner = _nodes.GetValueOrDefault(uid);
            dependents = [.. (_dependents.GetValueOrDefault(uid) ?? []).Select(d => _nodes.GetValueOrDefault(d)).OfType<GraphNode>()];
        }

        if (owner is null || !owner.Orphaning)
        {
            return;
        }

        foreach (var d in dependents)
        {
            await PatchAsync(d, "ownerReferences", (d.Metadata.OwnerReferences ?? []).Where(r => r.Uid != uid), ct).ConfigureAwait(false);
        }

        await RemoveFinalizerAsync(owner, OrphanFinalizer, ct).ConfigureAwait(false);
    }

    private static Task RemoveFinalizerAsync(GraphNode node, string finalizer, CancellationToken ct) =>
        PatchAsync(node, "finalizers", (node.Metadata.Finalizers ?? []).Where(f => f != finalizer), ct);

    private static async Task PatchAsync(GraphNode node, string field, IEnumerable<object> values, CancellationToken ct)
    {
        var patch = OwnerKindOperations.MetadataListPatch(node.Metadata, field, values);
        try
        {
            await node.Operations.PatchAsync(node.Metadata.NamespaceProperty, node.Metadata.Name, patch, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            // Gone: nothing left to change.
        }
    }
}
