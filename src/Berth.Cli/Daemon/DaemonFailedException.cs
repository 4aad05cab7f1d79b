namespace Berth.Cli.Daemon;

/// <summary>The daemon could not be started or reached; the message is for the user as it is.</summary>
internal sealed class DaemonFailedException : Exception
{
    public DaemonFailedException()
    {
    }

    public DaemonFailedException(string message)
        : base(message)
    {
    }

    public DaemonFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
