using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Berth.Node.Dns;

/// <summary>
/// Cluster DNS over UDP and TCP on sockets it is given, already bound (in `berth serve` they are opened inside the
/// hub network namespace on the cluster DNS address, port 53; tests bind loopback). UDP runs one receive loop per
/// core over the same socket and answers cluster names inline; forwarded names are answered from a separate task so
/// a slow upstream never holds a loop. TCP (RFC 7766) takes length-prefixed queries, several per connection, closing
/// idle connections after 10 s.
/// </summary>
internal sealed class ClusterDnsServer : IAsyncDisposable
{
    private const int MaxTcpConnections = 256;
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    private readonly ClusterDnsHandler _handler;
    private readonly IDnsForwarder? _forwarder;
    private readonly Socket _udp;
    private readonly Socket? _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly SemaphoreSlim _tcpSlots = new(MaxTcpConnections);
    private long _queries;

    public ClusterDnsServer(ClusterDnsHandler handler, IDnsForwarder? forwarder, Socket udp, Socket? tcp)
    {
        _handler = handler;
        _forwarder = forwarder;
        _udp = udp;
        _tcp = tcp;
    }

    /// <summary>Queries received so far (UDP and TCP).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public EndPoint UdpEndPoint => _udp.LocalEndPoint!;

    public EndPoint? TcpEndPoint => _tcp?.LocalEndPoint;

    public void Start()
    {
        var loops = Math.Max(2, Environment.ProcessorCount);
        for (var i = 0; i < loops; i++)
        {
            _loops.Add(Task.Run(() => UdpLoopAsync(_stop.Token)));
        }

        if (_tcp is not null)
        {
            _tcp.Listen(128);
            _loops.Add(Task.Run(() => AcceptLoopAsync(_tcp, _stop.Token)));
        }
    }

    private async Task UdpLoopAsync(CancellationToken ct)
    {
        var buffer = GC.AllocateArray<byte>(65536, pinned: true);
        var response = GC.AllocateArray<byte>(65536, pinned: true);
        var from = new SocketAddress(_udp.AddressFamily);
        while (!ct.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier reply (ECONNREFUSED) and the like: keep serving.
                continue;
            }

            Interlocked.Increment(ref _queries);
            DnsAnswer answer;
            try
            {
                answer = _handler.Answer(buffer.AsSpan(0, received), response, udp: true);
            }
#pragma warning disable CA1031 // no input may stop the server; a bug becomes a dropped query, not a dead loop
            catch (Exception)
#pragma warning restore CA1031
            {
                continue;
            }

            if (answer.Forward is { } query)
            {
                var to = new SocketAddress(from.Family, from.Size);
                from.Buffer.CopyTo(to.Buffer);
                _ = ForwardUdpAsync(buffer.AsSpan(0, received).ToArray(), query, to, ct);
                continue;
            }

            if (answer.Length > 0)
            {
                await SendUdpAsync(response.AsMemory(0, answer.Length), from, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A synchronous sendto: a datagram send never waits for a peer, and .NET's asynchronous SendToAsync with a
    /// SocketAddress, called from several loops on one socket, was seen failing with a NullReferenceException inside
    /// the runtime (its cached event args are shared).
    /// </summary>
    private Task SendUdpAsync(ReadOnlyMemory<byte> payload, SocketAddress to, CancellationToken ct)
    {
        try
        {
            _udp.SendTo(payload.Span, SocketFlags.None, to);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException || ct.IsCancellationRequested)
        {
            // The client went away or we are stopping (a send racing the socket's disposal can fail in any way):
            // nothing to tell anyone.
        }

        return Task.CompletedTask;
    }

    private async Task ForwardUdpAsync(byte[] packet, DnsQuery query, SocketAddress to, CancellationToken ct)
    {
        var reply = await ForwardAsync(packet, query, tcp: false, ct).ConfigureAwait(false);
        await SendUdpAsync(reply, to, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> ForwardAsync(byte[] packet, DnsQuery query, bool tcp, CancellationToken ct)
    {
        byte[]? reply = null;
        if (_forwarder is not null)
        {
            try
            {
                reply = await _forwarder.ForwardAsync(packet, tcp, ct).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a failing forwarder means SERVFAIL for this query, never a dead server
            catch (Exception)
#pragma warning restore CA1031
            {
                reply = null;
            }
        }

        if (reply is not null)
        {
            return reply;
        }

        var failure = new byte[DnsConstants.HeaderLength + query.NameWire.Length + 4 + 11];
        var length = ClusterDnsHandler.ServerFailure(failure, query, udp: !tcp);
        return failure[..length];
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                await _tcpSlots.WaitAsync(ct).ConfigureAwait(false);
                client = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                _tcpSlots.Release();
                continue;
            }

            _ = ServeTcpAsync(client, ct);
        }
    }

    private async Task ServeTcpAsync(Socket client, CancellationToken ct)
    {
        var lengthBytes = new byte[2];
        var response = new byte[65535 + 2];
        try
        {
            using (client)
            {
                while (!ct.IsCancellationRequested)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    idle.CancelAfter(TcpIdle);
                    if (!await UpstreamDnsForwarder.ReadExactlyAsync(client, lengthBytes, idle.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    var length = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
                    var packet = new byte[length];
                    if (!await UpstreamDnsForwarder.ReadExactlyAsync(client, packet, idle.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    Interlocked.Increment(ref _queries);
                    var answer = _handler.Answer(packet, response.AsSpan(2), udp: false);
                    ReadOnlyMemory<byte> reply;
                    if (answer.Forward is { } query)
                    {
                        var forwarded = await ForwardAsync(packet, query, tcp: true, ct).ConfigureAwait(false);
                        forwarded.CopyTo(response.AsSpan(2));
                        reply = response.AsMemory(0, forwarded.Length + 2);
                        BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)forwarded.Length);
                    }
                    else if (answer.Length > 0)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)answer.Length);
                        reply = response.AsMemory(0, answer.Length + 2);
                    }
                    else
                    {
                        return; // a dropped message ends the connection: the peer is not speaking DNS to us.
                    }

                    await client.SendAsync(reply, SocketFlags.None, ct).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // a broken connection ends that connection only
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            _tcpSlots.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stop the loops first (their receives observe the token), then close the sockets under nobody.
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _udp.Dispose();
        _tcp?.Dispose();
        _stop.Dispose();
    }
}
