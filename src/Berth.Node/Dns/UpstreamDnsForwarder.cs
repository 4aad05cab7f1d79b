using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Berth.Node.Dns;

/// <summary>
/// Forwards to the nameservers of the host's /etc/resolv.conf, in order, from sockets in the host's network
/// namespace (where those resolvers are reachable, 127.0.0.53 included). A resolver that did not answer within the
/// timeout is skipped for <see cref="DownFor"/>, so while the host has no working resolver every forwarded query gets
/// a quick SERVFAIL instead of making each client wait out its own timeouts.
/// </summary>
internal sealed class UpstreamDnsForwarder : IDnsForwarder
{
    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly long[] _downUntil;
    private readonly TimeProvider _time;

    public UpstreamDnsForwarder(IReadOnlyList<IPEndPoint> servers, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        _servers = servers;
        _downUntil = new long[servers.Count];
        Timeout = timeout ?? TimeSpan.FromSeconds(1.5);
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan Timeout { get; }

    public static TimeSpan DownFor { get; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<IPEndPoint> Servers => _servers;

    /// <summary>
    /// The nameservers of a resolv.conf (port 53), leaving out <paramref name="exclude"/> (the cluster DNS address,
    /// which would forward to itself).
    /// </summary>
    public static UpstreamDnsForwarder FromResolvConf(string path = "/etc/resolv.conf", IEnumerable<IPAddress>? exclude = null)
    {
        var excluded = (exclude ?? []).ToHashSet();
        var servers = new List<IPEndPoint>();
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts is ["nameserver", var address, ..] && IPAddress.TryParse(address, out var ip)
                    && ip.AddressFamily == AddressFamily.InterNetwork && !excluded.Contains(ip))
                {
                    servers.Add(new IPEndPoint(ip, 53));
                }
            }
        }

        return new UpstreamDnsForwarder(servers);
    }

    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken)
    {
        if (query.Length < DnsConstants.HeaderLength)
        {
            return null;
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        for (var i = 0; i < _servers.Count; i++)
        {
            if (Volatile.Read(ref _downUntil[i]) > _time.GetTimestamp())
            {
                continue;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                var reply = tcp
                    ? await ExchangeTcpAsync(_servers[i], query, timeout.Token).ConfigureAwait(false)
                    : await ExchangeUdpAsync(_servers[i], query, id, timeout.Token).ConfigureAwait(false);
                if (reply is not null)
                {
                    return reply;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
            }

            Volatile.Write(ref _downUntil[i], _time.GetTimestamp() + (long)(DownFor.TotalSeconds * _time.TimestampFrequency));
        }

        return null;
    }

    private static async Task<byte[]?> ExchangeUdpAsync(IPEndPoint server, ReadOnlyMemory<byte> query, ushort id, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, ct).ConfigureAwait(false);
        var buffer = new byte[65535];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            // Only the answer to this query (same id, QR set) counts; anything else on the socket is ignored.
            if (n >= DnsConstants.HeaderLength && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id && (buffer[2] & 0x80) != 0)
            {
                return buffer[..n];
            }
        }
    }

    private static async Task<byte[]?> ExchangeTcpAsync(IPEndPoint server, ReadOnlyMemory<byte> query, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed.AsMemory(2));
        await socket.SendAsync(framed, SocketFlags.None, ct).ConfigureAwait(false);
        var lengthBytes = new byte[2];
        if (!await ReadExactlyAsync(socket, lengthBytes, ct).ConfigureAwait(false))
        {
            return null;
        }

        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(lengthBytes)];
        return await ReadExactlyAsync(socket, reply, ct).ConfigureAwait(false) ? reply : null;
    }

    internal static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
