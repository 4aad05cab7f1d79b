namespace Berth.Node.Runtime;

/// <summary>
/// A command running in a container with its standard streams connected (kubectl exec): pipes, or one terminal
/// when a TTY was asked for (then <see cref="Stderr"/> is null, stderr goes to the terminal as upstream).
/// </summary>
public interface IExecSession : IAsyncDisposable
{
    /// <summary>Writing end of the command's stdin; null when stdin was not asked for (the command sees EOF).</summary>
    Stream? Stdin { get; }

    /// <summary>The command's stdout (with a TTY: the terminal's output).</summary>
    Stream Stdout { get; }

    Stream? Stderr { get; }

    /// <summary>The exit code (128 + signal when killed), once the command and its output are done.</summary>
    Task<int> Exited { get; }

    /// <summary>Sets the terminal size (TIOCSWINSZ); ignored without a TTY.</summary>
    void Resize(ushort columns, ushort rows);

    /// <summary>Ends the command and everything it started.</summary>
    void Kill();
}
