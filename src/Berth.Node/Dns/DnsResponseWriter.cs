using System.Buffers.Binary;

namespace Berth.Node.Dns;

/// <summary>
/// Writes responses into a caller's buffer: header, the question as the client spelled it, answer, authority and
/// additional records, and an OPT record when the query had one. Owner names equal to the question are compressed
/// to a pointer at offset 12. When the records do not fit <c>limit</c> (the UDP payload size), the response carries
/// no records and the TC bit instead, so the client retries over TCP (RFC 1035 §4.2.1, RFC 7766).
/// </summary>
internal static class DnsResponseWriter
{
    /// <summary>A response with only a header (and the id): FORMERR for what could not be parsed.</summary>
    public static int WriteHeaderOnly(Span<byte> buffer, ushort id, int rcode)
    {
        buffer[..DnsConstants.HeaderLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(0x8000 | (rcode & 0xF)));
        return DnsConstants.HeaderLength;
    }

    public static int Write(Span<byte> buffer, DnsQuery query, int rcode, bool authoritative, IReadOnlyList<DnsRecord> answers,
        IReadOnlyList<DnsRecord> authority, IReadOnlyList<DnsRecord> additional, int limit)
    {
        limit = Math.Min(limit, buffer.Length);
        var withRecords = TryWrite(buffer, query, rcode, authoritative, answers, authority, additional, limit, truncated: false);
        if (withRecords < 0 && additional.Count > 0)
        {
            // The additional section is a courtesy: drop it before truncating (RFC 2181 §9).
            withRecords = TryWrite(buffer, query, rcode, authoritative, answers, authority, [], limit, truncated: false);
        }

        return withRecords >= 0 ? withRecords : TryWrite(buffer, query, rcode, authoritative, [], [], [], limit, truncated: true);
    }

    private static int TryWrite(Span<byte> buffer, DnsQuery query, int rcode, bool authoritative, IReadOnlyList<DnsRecord> answers,
        IReadOnlyList<DnsRecord> authority, IReadOnlyList<DnsRecord> additional, int limit, bool truncated)
    {
        var optLength = query.HasEdns ? 11 : 0;
        var at = DnsConstants.HeaderLength;
        if (at + query.NameWire.Length + 4 + optLength > limit)
        {
            return -1;
        }

        var flags = 0x8000 | 0x0080; // QR, RA (names outside the cluster are forwarded)
        if (authoritative)
        {
            flags |= 0x0400;
        }

        if (truncated)
        {
            flags |= 0x0200;
        }

        if (query.RecursionDesired)
        {
            flags |= 0x0100;
        }

        if (query.CheckingDisabled)
        {
            flags |= 0x0010;
        }

        flags |= rcode & 0xF;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, query.Id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], (ushort)answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[8..], (ushort)authority.Count);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], (ushort)(additional.Count + (query.HasEdns ? 1 : 0)));
        query.NameWire.CopyTo(buffer[at..]);
        at += query.NameWire.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], query.Type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], query.Class);
        at += 4;
        var room = limit - optLength;
        if (!WriteRecords(buffer, ref at, room, query, answers) || !WriteRecords(buffer, ref at, room, query, authority)
            || !WriteRecords(buffer, ref at, room, query, additional))
        {
            return -1;
        }

        if (query.HasEdns)
        {
            // OPT: root owner, our payload size in CLASS, extended rcode/version/flags 0, no options.
            buffer[at] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 1)..], DnsConstants.TypeOpt);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 3)..], DnsConstants.EdnsUdpPayload);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(at + 5)..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 9)..], 0);
            at += 11;
        }

        return at;
    }

    private static bool WriteRecords(Span<byte> buffer, ref int at, int limit, DnsQuery query, IReadOnlyList<DnsRecord> records)
    {
        foreach (var r in records)
        {
            var compress = string.Equals(r.Name, query.Name, StringComparison.Ordinal);
            var ownerLength = compress ? 2 : r.NameWire.Length;
            if (at + ownerLength + 10 + r.Data.Length > limit)
            {
                return false;
            }

            if (compress)
            {
                BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], 0xC000 | DnsConstants.HeaderLength);
            }
            else
            {
                r.NameWire.CopyTo(buffer[at..]);
            }

            at += ownerLength;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], r.Type);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], DnsConstants.ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(at + 4)..], r.Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 8)..], (ushort)r.Data.Length);
            at += 10;
            r.Data.CopyTo(buffer[at..]);
            at += r.Data.Length;
        }

        return true;
    }
}
