namespace Berth.Node.Runtime;

/// <summary>One bind mount into a container: host source, container destination, read-only or not.</summary>
internal sealed record VolumeBind(string Source, string Destination, bool ReadOnly);
