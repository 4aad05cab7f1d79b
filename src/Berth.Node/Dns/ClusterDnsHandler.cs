namespace Berth.Node.Dns;

/// <summary>
/// Answers one query from the <see cref="ClusterDnsIndex"/>: authoritative inside the cluster zone (NXDOMAIN with
/// the zone's SOA for names that do not exist, NODATA for names that exist without the asked type), reverse
/// lookups for cluster addresses, and everything else handed back for forwarding. Malformed input gets FORMERR and
/// other opcodes NOTIMP; responses (QR set) and fragments too short for an id are dropped. Never throws on input.
/// </summary>
internal sealed class ClusterDnsHandler(ClusterDnsIndex index)
{
    private const string ReverseZone = "in-addr.arpa";
    private static readonly DnsRecord[] NoRecords = [];

    public ClusterDnsIndex Index => index;

    /// <param name="udp">UDP limits the response to the query's EDNS size (at most 1232 bytes, 512 without EDNS); TCP to 64 KiB.</param>
    public DnsAnswer Answer(ReadOnlySpan<byte> packet, Span<byte> response, bool udp)
    {
        switch (DnsParser.Parse(packet, out var query, out var id))
        {
            case DnsParseStatus.Drop:
                return default;
            case DnsParseStatus.FormatError:
                return new DnsAnswer(DnsResponseWriter.WriteHeaderOnly(response, id, DnsConstants.RcodeFormErr), null);
            case DnsParseStatus.NotImplemented:
                return new DnsAnswer(DnsResponseWriter.WriteHeaderOnly(response, id, DnsConstants.RcodeNotImp), null);
            default:
                break;
        }

        var q = query!;
        var limit = udp ? Math.Min(q.HasEdns ? q.UdpPayloadSize : DnsConstants.ClassicUdpPayload, DnsConstants.EdnsUdpPayload) : ushort.MaxValue;
        var inZone = DnsName.InZone(q.Name, index.Zone);
        var records = q.Matchable ? index.Lookup(q.Name) : null;
        if (!inZone && (records is null || !DnsName.InZone(q.Name, ReverseZone)))
        {
            return new DnsAnswer(0, q);
        }

        if (q.Class is not (DnsConstants.ClassIn or DnsConstants.ClassAny))
        {
            return new DnsAnswer(DnsResponseWriter.Write(response, q, DnsConstants.RcodeRefused, false, NoRecords, NoRecords, NoRecords, limit), null);
        }

        if (q.Name == index.Zone)
        {
            // The apex: its SOA, and NODATA for anything else.
            var apex = q.Type is DnsConstants.TypeSoa or DnsConstants.TypeAny ? new[] { index.Soa } : NoRecords;
            return new DnsAnswer(DnsResponseWriter.Write(response, q, DnsConstants.RcodeNoError, true, apex,
                apex.Length == 0 ? [index.Soa] : NoRecords, NoRecords, limit), null);
        }

        if (records is null)
        {
            return new DnsAnswer(DnsResponseWriter.Write(response, q, DnsConstants.RcodeNxDomain, true, NoRecords, [index.Soa], NoRecords, limit), null);
        }

        var answers = new List<DnsRecord>(records.Length);
        foreach (var r in records)
        {
            if (r.Type == q.Type || q.Type == DnsConstants.TypeAny)
            {
                answers.Add(r);
            }
        }

        if (answers.Count == 0)
        {
            // A CNAME answers every type (RFC 1034 §3.6.2); Berth does not chase targets outside the cluster.
            answers.AddRange(records.Where(r => r.Type == DnsConstants.TypeCname));
        }

        if (answers.Count == 0)
        {
            return new DnsAnswer(DnsResponseWriter.Write(response, q, DnsConstants.RcodeNoError, true, NoRecords, [index.Soa], NoRecords, limit), null);
        }

        var additional = new List<DnsRecord>();
        foreach (var r in answers)
        {
            if (r.Type == DnsConstants.TypeSrv && r.Target is { } target && index.Lookup(target) is { } targetRecords)
            {
                additional.AddRange(targetRecords.Where(t => t.Type == DnsConstants.TypeA && !additional.Contains(t)));
            }
        }

        return new DnsAnswer(DnsResponseWriter.Write(response, q, DnsConstants.RcodeNoError, true, answers, NoRecords, additional, limit), null);
    }

    /// <summary>The response for a forwarded query the host's resolvers did not answer: a quick SERVFAIL.</summary>
    public static int ServerFailure(Span<byte> response, DnsQuery query, bool udp) =>
        DnsResponseWriter.Write(response, query, DnsConstants.RcodeServFail, false, NoRecords, NoRecords, NoRecords,
            udp ? DnsConstants.ClassicUdpPayload : ushort.MaxValue);
}
