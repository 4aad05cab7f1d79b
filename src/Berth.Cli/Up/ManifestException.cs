namespace Berth.Cli.Up;

/// <summary>A manifest that cannot be read or mapped; the message is for the user as it is.</summary>
internal sealed class ManifestException : Exception
{
    public ManifestException()
    {
    }

    public ManifestException(string message)
        : base(message)
    {
    }

    public ManifestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
