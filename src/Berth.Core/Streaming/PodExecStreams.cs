using System.Threading.Channels;

namespace Berth.Core.Streaming;

/// <summary>
/// The client's side of an exec or attach, as the protocol layer decoded it. Reading <see cref="Stdin"/> returns 0
/// when the client closed its stdin. With a TTY, stderr is merged into stdout (as upstream) and
/// <see cref="Resize"/> carries the terminal size changes.
/// </summary>
public sealed record PodExecStreams(Stream? Stdin, Stream? Stdout, Stream? Stderr, ChannelReader<TerminalSize>? Resize);
