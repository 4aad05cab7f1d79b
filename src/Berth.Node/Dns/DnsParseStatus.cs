namespace Berth.Node.Dns;

internal enum DnsParseStatus
{
    /// <summary>A well-formed standard query.</summary>
    Ok,

    /// <summary>Malformed, truncated or with trailing bytes: answer FORMERR (the id is known).</summary>
    FormatError,

    /// <summary>A well-formed message with an opcode other than QUERY: answer NOTIMP.</summary>
    NotImplemented,

    /// <summary>Too short to carry an id, or a response (QR set): never answered, so nothing can loop.</summary>
    Drop,
}
