namespace Berth.Storage;

/// <summary>A stored value: <see cref="Value"/> already carries metadata.resourceVersion = <see cref="ModRevision"/>.</summary>
public readonly record struct KeyValue(string Key, ReadOnlyMemory<byte> Value, long CreateRevision, long ModRevision);
