namespace Berth.Core.Streaming;

/// <summary>
/// POST pods/{name}/exec or pods/{name}/attach, resolved: the container is named. An empty
/// <see cref="Command"/> means attach.
/// </summary>
public sealed record PodExecRequest(string Namespace, string Pod, string Container, IReadOnlyList<string> Command)
{
    public bool Stdin { get; init; }

    public bool Stdout { get; init; }

    public bool Stderr { get; init; }

    public bool Tty { get; init; }
}
