namespace Berth.Serialization;

/// <summary>YAML that cannot become JSON; the message names the line (1-based) like go-yaml's <c>yaml: line N: ...</c>.</summary>
public sealed class YamlConversionException : FormatException
{
    public YamlConversionException(string message, long line) : base(message) => Line = line;

    public YamlConversionException()
    {
    }

    public YamlConversionException(string message) : base(message)
    {
    }

    public YamlConversionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public long Line { get; }
}
