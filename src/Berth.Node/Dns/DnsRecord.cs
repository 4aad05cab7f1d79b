using System.Buffers.Binary;
using System.Net;

namespace Berth.Node.Dns;

/// <summary>
/// One resource record with its owner name and RDATA already in wire form, so answering is copying bytes.
/// <see cref="Target"/> is the name an SRV, PTR or CNAME points at (for additional-section lookups).
/// </summary>
internal sealed record DnsRecord(string Name, byte[] NameWire, ushort Type, uint Ttl, byte[] Data, string? Target = null)
{
    public static DnsRecord A(string name, IPAddress address, uint ttl) =>
        new(name, DnsName.ToWire(name), DnsConstants.TypeA, ttl, address.GetAddressBytes());

    public static DnsRecord Ptr(string name, string target, uint ttl) =>
        new(name, DnsName.ToWire(name), DnsConstants.TypePtr, ttl, DnsName.ToWire(target), target);

    public static DnsRecord Cname(string name, string target, uint ttl) =>
        new(name, DnsName.ToWire(name), DnsConstants.TypeCname, ttl, DnsName.ToWire(target), target);

    public static DnsRecord Srv(string name, ushort priority, ushort weight, ushort port, string target, uint ttl)
    {
        var targetWire = DnsName.ToWire(target);
        var data = new byte[6 + targetWire.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, priority);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), port);
        targetWire.CopyTo(data, 6);
        return new DnsRecord(name, DnsName.ToWire(name), DnsConstants.TypeSrv, ttl, data, target);
    }

    /// <summary>The zone's SOA (CoreDNS style: ns.dns.ZONE hostmaster.ZONE, negative TTL = minimum).</summary>
    public static DnsRecord Soa(string zone, uint serial, uint ttl)
    {
        var mname = DnsName.ToWire("ns.dns." + zone);
        var rname = DnsName.ToWire("hostmaster." + zone);
        var data = new byte[mname.Length + rname.Length + 20];
        mname.CopyTo(data, 0);
        rname.CopyTo(data, mname.Length);
        var at = mname.Length + rname.Length;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), serial);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at + 4), 7200);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at + 8), 1800);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at + 12), 86400);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at + 16), ttl);
        return new DnsRecord(zone, DnsName.ToWire(zone), DnsConstants.TypeSoa, ttl, data);
    }
}
