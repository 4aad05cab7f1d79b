using System.Buffers.Binary;
using System.Text;

namespace Berth.Node.Dns;

/// <summary>
/// A strict, allocation-light parser for incoming queries (RFC 1035 §4.1). Every length and count is checked
/// against the bytes actually received; compression pointers must point backwards and are followed at most 127
/// times; names are limited to 255 bytes and labels to 63. Anything else than exactly one question, at most one
/// OPT record (RFC 6891) and nothing after the last record is a format error.
/// </summary>
internal static class DnsParser
{
    private const int MaxPointerHops = 127;

    public static DnsParseStatus Parse(ReadOnlySpan<byte> packet, out DnsQuery? query, out ushort id)
    {
        query = null;
        id = packet.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(packet) : (ushort)0;
        if (packet.Length < 2 || (packet.Length >= 3 && (packet[2] & 0x80) != 0))
        {
            return DnsParseStatus.Drop;
        }

        if (packet.Length < DnsConstants.HeaderLength)
        {
            return DnsParseStatus.FormatError;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var opcode = (flags >> 11) & 0xF;
        var qdCount = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        var anCount = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        var nsCount = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        var arCount = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if (qdCount != 1)
        {
            return DnsParseStatus.FormatError;
        }

        var offset = DnsConstants.HeaderLength;
        var nameBuffer = new StringBuilder(64);
        Span<byte> wire = stackalloc byte[DnsConstants.MaxNameLength + 1];
        if (!ReadName(packet, ref offset, nameBuffer, wire, out var wireLength, out var matchable) || packet.Length - offset < 4)
        {
            return DnsParseStatus.FormatError;
        }

        var qtype = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        var qclass = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        offset += 4;

        // Answer and authority records have no business in a query, but are legal: step over them checked.
        for (var i = 0; i < anCount + nsCount; i++)
        {
            if (!SkipRecord(packet, ref offset, out _, out _, out _))
            {
                return DnsParseStatus.FormatError;
            }
        }

        var hasEdns = false;
        var udpPayload = DnsConstants.ClassicUdpPayload;
        for (var i = 0; i < arCount; i++)
        {
            var start = offset;
            if (!SkipRecord(packet, ref offset, out var type, out var @class, out var rootOwner))
            {
                return DnsParseStatus.FormatError;
            }

            if (type == DnsConstants.TypeOpt)
            {
                // RFC 6891 §6.1.1: one OPT, owned by the root.
                if (hasEdns || !rootOwner || packet[start] != 0)
                {
                    return DnsParseStatus.FormatError;
                }

                hasEdns = true;
                udpPayload = Math.Max(DnsConstants.ClassicUdpPayload, (int)@class);
            }
        }

        if (offset != packet.Length)
        {
            return DnsParseStatus.FormatError;
        }

        if (opcode != 0)
        {
            return DnsParseStatus.NotImplemented;
        }

        query = new DnsQuery(id, (flags & 0x0100) != 0, (flags & 0x0010) != 0, nameBuffer.ToString(), wire[..wireLength].ToArray(),
            qtype, qclass, matchable, hasEdns, udpPayload);
        return DnsParseStatus.Ok;
    }

    /// <summary>
    /// Reads a possibly compressed name at <paramref name="offset"/> (left just after it), as lower-case text and as
    /// uncompressed wire bytes in the client's spelling.
    /// </summary>
    private static bool ReadName(ReadOnlySpan<byte> packet, ref int offset, StringBuilder? text, Span<byte> wire, out int wireLength,
        out bool matchable)
    {
        wireLength = 0;
        matchable = true;
        var position = offset;
        var hops = 0;
        var end = -1;
        var lowestSeen = offset;
        while (true)
        {
            if (position >= packet.Length)
            {
                return false;
            }

            var length = packet[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= packet.Length || ++hops > MaxPointerHops)
                {
                    return false;
                }

                var target = ((length & 0x3F) << 8) | packet[position + 1];
                if (end < 0)
                {
                    end = position + 2;
                }

                // Pointers must go strictly backwards from everything read so far: no loops, no forward references.
                if (target >= lowestSeen)
                {
                    return false;
                }

                lowestSeen = target;
                position = target;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                return false; // 0x40 and 0x80 label types are obsolete or unassigned.
            }

            if (length == 0)
            {
                if (wireLength + 1 > DnsConstants.MaxNameLength)
                {
                    return false;
                }

                wire[wireLength++] = 0;
                offset = end < 0 ? position + 1 : end;
                return true;
            }

            if (position + 1 + length > packet.Length || wireLength + 1 + length + 1 > DnsConstants.MaxNameLength)
            {
                return false;
            }

            wire[wireLength++] = length;
            var label = packet.Slice(position + 1, length);
            label.CopyTo(wire[wireLength..]);
            wireLength += length;
            if (text is not null)
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }

                foreach (var b in label)
                {
                    if (b is <= 0x20 or >= 0x7F or (byte)'.')
                    {
                        matchable = false;
                    }

                    text.Append(b is >= (byte)'A' and <= (byte)'Z' ? (char)(b + 32) : (char)b);
                }
            }

            position += 1 + length;
            if (end < 0)
            {
                lowestSeen = Math.Max(lowestSeen, position);
            }
        }
    }

    private static bool SkipRecord(ReadOnlySpan<byte> packet, ref int offset, out ushort type, out ushort @class, out bool rootOwner)
    {
        type = 0;
        @class = 0;
        rootOwner = offset < packet.Length && packet[offset] == 0;
        Span<byte> wire = stackalloc byte[DnsConstants.MaxNameLength + 1];
        if (!ReadName(packet, ref offset, null, wire, out _, out _) || packet.Length - offset < 10)
        {
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        @class = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        var rdLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
        offset += 10;
        if (packet.Length - offset < rdLength)
        {
            return false;
        }

        offset += rdLength;
        return true;
    }
}
