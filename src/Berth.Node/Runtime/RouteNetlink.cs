using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Node.Runtime;

/// <summary>
/// A minimal rtnetlink client (linux/rtnetlink.h, if_link.h, veth.h): the handful of requests a pod's network
/// needs (veth pair across namespaces, link up and master, address, default route) without forking `ip`, which
/// costs 5-30 ms per run on a loaded machine (runtime-probe.md §3). A netlink socket talks to the network
/// namespace it was created in, so callers create it on a thread inside the right namespace.
/// </summary>
internal sealed partial class RouteNetlink : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const ushort RtmNewLink = 16;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmNewRoute = 24;
    private const ushort NlmsgError = 2;
    private const ushort FlagRequest = 0x1;
    private const ushort FlagAck = 0x4;
    private const ushort FlagExcl = 0x200;
    private const ushort FlagCreate = 0x400;
    private const ushort IflaIfname = 3;
    private const ushort IflaMaster = 10;
    private const ushort IflaLinkinfo = 18;
    private const ushort IflaNetNsFd = 28;
    private const ushort IflaInfoKind = 1;
    private const ushort IflaInfoData = 2;
    private const ushort VethInfoPeer = 1;
    private const ushort IfaLocal = 2;
    private const ushort IfaAddress = 1;
    private const ushort RtaGateway = 5;
    private const uint IffUp = 1;

    private readonly int _fd;
    private uint _seq;

    public RouteNetlink()
    {
        _fd = socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (_fd < 0)
        {
            LinuxNative.ThrowLastError("socket(AF_NETLINK)");
        }
    }

    /// <summary>Creates a veth pair: <paramref name="name"/> moved into the namespace behind <paramref name="nameNamespaceFd"/>,
    /// <paramref name="peerName"/> left in this socket's namespace.</summary>
    public void CreateVeth(string name, int nameNamespaceFd, string peerName)
    {
        var m = new Message(RtmNewLink, FlagCreate | FlagExcl);
        m.IfInfo(0, 0, 0);
        m.Attr(IflaIfname, name);
        m.Attr(IflaNetNsFd, (uint)nameNamespaceFd);
        var linkinfo = m.Begin(IflaLinkinfo);
        m.Attr(IflaInfoKind, "veth");
        var data = m.Begin(IflaInfoData);
        var peer = m.Begin(VethInfoPeer);
        m.IfInfo(0, 0, 0);
        m.Attr(IflaIfname, peerName);
        m.End(peer);
        m.End(data);
        m.End(linkinfo);
        Send(m, $"create veth {name}/{peerName}");
    }

    /// <summary>Sets a link up (by name), optionally enslaving it to a bridge.</summary>
    public void SetUp(string name, int? masterIndex = null)
    {
        var m = new Message(RtmNewLink, 0);
        m.IfInfo(0, IffUp, IffUp);
        m.Attr(IflaIfname, name);
        if (masterIndex is { } master)
        {
            m.Attr(IflaMaster, (uint)master);
        }

        Send(m, $"set {name} up");
    }

    public void AddAddress(int index, IPAddress address, int prefixLength)
    {
        var m = new Message(RtmNewAddr, FlagCreate | FlagExcl);
        // struct ifaddrmsg: family, prefixlen, flags, scope (universe), index
        m.Bytes([2, (byte)prefixLength, 0, 0]);
        m.U32((uint)index);
        m.Attr(IfaLocal, address.GetAddressBytes());
        m.Attr(IfaAddress, address.GetAddressBytes());
        Send(m, $"add address {address}/{prefixLength}");
    }

    public void AddDefaultRoute(IPAddress gateway)
    {
        var m = new Message(RtmNewRoute, FlagCreate | FlagExcl);
        // struct rtmsg: family, dst_len, src_len, tos, table main, protocol boot, scope universe, type unicast, flags
        m.Bytes([2, 0, 0, 0, 254, 3, 0, 1]);
        m.U32(0);
        m.Attr(RtaGateway, gateway.GetAddressBytes());
        Send(m, $"add default route via {gateway}");
    }

    private void Send(Message m, string what)
    {
        var bytes = m.Finish(++_seq);
        if (send(_fd, bytes, bytes.Length, 0) != bytes.Length)
        {
            LinuxNative.ThrowLastError($"netlink send ({what})");
        }

        var buffer = new byte[4096];
        while (true)
        {
            var n = recv(_fd, buffer, buffer.Length, 0);
            if (n < 0)
            {
                LinuxNative.ThrowLastError($"netlink recv ({what})");
            }

            var span = buffer.AsSpan(0, (int)n);
            while (span.Length >= 16)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
                var seq = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
                if (type == NlmsgError && seq == _seq)
                {
                    var error = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
                    if (error != 0)
                    {
                        throw new IOException($"netlink: {what} failed: {Marshal.GetPInvokeErrorMessage(-error)} (errno {-error})");
                    }

                    return;
                }

                if (len < 16 || len > span.Length)
                {
                    break;
                }

                span = span[((len + 3) & ~3)..];
            }
        }
    }

    public void Dispose() => close(_fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte[] buffer, nint length, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    /// <summary>One request: nlmsghdr, the family header, then rtattrs (4-byte aligned, nested by length backpatch).</summary>
    private sealed class Message
    {
        private readonly List<byte> _b = new(256);

        public Message(ushort type, ushort flags)
        {
            U32(0);
            U16(type);
            U16((ushort)(FlagRequest | FlagAck | flags));
            U32(0);
            U32(0);
        }

        public void IfInfo(int index, uint flags, uint change)
        {
            // struct ifinfomsg: family AF_UNSPEC, pad, type, index, flags, change
            Bytes([0, 0, 0, 0]);
            U32((uint)index);
            U32(flags);
            U32(change);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            foreach (var x in bytes)
            {
                _b.Add(x);
            }
        }

        public void U16(ushort v) => Bytes([(byte)v, (byte)(v >> 8)]);

        public void U32(uint v) => Bytes([(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]);

        public void Attr(ushort type, ReadOnlySpan<byte> payload)
        {
            U16((ushort)(4 + payload.Length));
            U16(type);
            Bytes(payload);
            Pad();
        }

        public void Attr(ushort type, uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Attr(type, b);
        }

        public void Attr(ushort type, string value) => Attr(type, Encoding.ASCII.GetBytes(value + "\0"));

        public int Begin(ushort type)
        {
            var at = _b.Count;
            U16(0);
            U16(type);
            return at;
        }

        public void End(int at)
        {
            var len = (ushort)(_b.Count - at);
            _b[at] = (byte)len;
            _b[at + 1] = (byte)(len >> 8);
        }

        public byte[] Finish(uint seq)
        {
            var bytes = _b.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), seq);
            return bytes;
        }

        private void Pad()
        {
            while (_b.Count % 4 != 0)
            {
                _b.Add(0);
            }
        }
    }
}
