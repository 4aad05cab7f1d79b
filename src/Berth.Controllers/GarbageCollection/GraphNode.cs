using k8s.Models;

namespace Berth.Controllers.GarbageCollection;

/// <summary>One object in the garbage collector's ownership graph (its latest metadata and kind).</summary>
internal sealed record GraphNode(OwnerKindOperations Operations, V1ObjectMeta Metadata)
{
    public string Uid => Metadata.Uid;

    public bool DeletingDependents =>
        Metadata.DeletionTimestamp is not null && Metadata.Finalizers?.Contains(GarbageCollector.ForegroundFinalizer) == true;

    public bool Orphaning =>
        Metadata.DeletionTimestamp is not null && Metadata.Finalizers?.Contains(GarbageCollector.OrphanFinalizer) == true;
}
