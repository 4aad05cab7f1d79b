namespace Berth.Node.Dns;

/// <summary>
/// A parsed query: the header fields a response echoes, the question (its name lower-cased for lookups and in wire
/// form as the client spelled it) and EDNS. <see cref="Matchable"/> is false for names no record can ever have
/// (a label holding a dot or a non-printable byte).
/// </summary>
internal sealed record DnsQuery(
    ushort Id,
    bool RecursionDesired,
    bool CheckingDisabled,
    string Name,
    byte[] NameWire,
    ushort Type,
    ushort Class,
    bool Matchable,
    bool HasEdns,
    int UdpPayloadSize);
