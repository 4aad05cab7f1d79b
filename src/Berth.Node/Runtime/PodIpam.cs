using System.Net;
using System.Net.Sockets;

namespace Berth.Node.Runtime;

/// <summary>
/// Host-local IPAM for one IPv4 pod CIDR, round-robin like the CNI host-local plugin: the next address after
/// the last one handed out, so a freed address is not reused at once (stale ARP and DNS answers age out first).
/// The network address, the gateway (first host), the cluster DNS address (second host) and the broadcast
/// address are never handed out.
/// </summary>
internal sealed class PodIpam
{
    private readonly uint _network;
    private readonly uint _size;
    private readonly HashSet<uint> _used = [];
    private readonly Lock _lock = new();
    private uint _next;

    public PodIpam(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var address) ||
            address.AddressFamily != AddressFamily.InterNetwork ||
            !int.TryParse(cidr.AsSpan(slash + 1), out var prefix) || prefix is < 8 or > 29)
        {
            throw new ArgumentException($"pod CIDR \"{cidr}\" must be an IPv4 CIDR with a prefix between /8 and /29", nameof(cidr));
        }

        PrefixLength = prefix;
        _size = 1u << (32 - prefix);
        _network = ToUInt(address) & ~(_size - 1);
        _next = 3;
        Cidr = $"{FromUInt(_network)}/{prefix}";
    }

    public string Cidr { get; }

    public int PrefixLength { get; }

    public IPAddress Gateway => FromUInt(_network + 1);

    public IPAddress ClusterDns => FromUInt(_network + 2);

    /// <summary>Usable pod addresses (all but network, gateway, DNS and broadcast).</summary>
    public long Capacity => _size - 4;

    public IPAddress Allocate()
    {
        lock (_lock)
        {
            for (uint i = 0; i < _size; i++)
            {
                var candidate = _next;
                _next = _next + 1 >= _size - 1 ? 3 : _next + 1;
                if (candidate >= 3 && candidate < _size - 1 && _used.Add(candidate))
                {
                    return FromUInt(_network + candidate);
                }
            }

            throw new InvalidOperationException($"pod CIDR {Cidr} is exhausted ({Capacity} addresses in use)");
        }
    }

    public void Release(IPAddress address)
    {
        lock (_lock)
        {
            _used.Remove(ToUInt(address) - _network);
        }
    }

    public bool Contains(IPAddress address) => (ToUInt(address) & ~(_size - 1)) == _network;

    private static uint ToUInt(IPAddress a)
    {
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
}
