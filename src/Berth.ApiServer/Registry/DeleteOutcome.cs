using Berth.Storage;

namespace Berth.ApiServer.Registry;

/// <summary>What a delete did: removed the object now, or marked it (graceful deletion or finalizers).</summary>
internal readonly record struct DeleteOutcome(KeyValue Object, bool Deleted);
