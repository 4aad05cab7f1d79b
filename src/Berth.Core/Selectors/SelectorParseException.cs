namespace Berth.Core.Selectors;

/// <summary>
/// A label or field selector that does not parse or validate. <see cref="Exception.Message"/> is upstream's error
/// text verbatim (for example <c>unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt</c>),
/// so the API server can put it in a 400 Status as is.
/// </summary>
public sealed class SelectorParseException : FormatException
{
    public SelectorParseException(string message) : base(message)
    {
    }

    public SelectorParseException()
    {
    }

    public SelectorParseException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
