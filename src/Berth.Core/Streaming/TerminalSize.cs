namespace Berth.Core.Streaming;

/// <summary>A resize message from the client (upstream's remotecommand.TerminalSize).</summary>
public readonly record struct TerminalSize(ushort Width, ushort Height);
