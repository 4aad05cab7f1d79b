namespace Berth.Node.Volumes;

/// <summary>One file of a rendered volume: its bytes and its permission bits (defaultMode or the item's mode).</summary>
internal sealed record VolumeFile(byte[] Content, int Mode);
