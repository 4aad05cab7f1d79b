using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.Node.Tests.Dns;

/// <summary>
/// A small DNS client for tests, written apart from the server's codec so each checks the other: builds queries,
/// parses responses (following compression pointers), and talks UDP or TCP to a server.
/// </summary>
public static class TestDns
{
    public const ushort A = 1, Ns = 2, Cname = 5, Soa = 6, Ptr = 12, Aaaa = 28, Srv = 33, Opt = 41;

    public static byte[] Query(string name, ushort type, ushort id = 0x1234, bool edns = false, ushort ednsSize = 1232, ushort @class = 1)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte)(edns ? 1 : 0) };
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        bytes.AddRange([(byte)(type >> 8), (byte)type, (byte)(@class >> 8), (byte)@class]);
        if (edns)
        {
            bytes.AddRange([0, 0, (byte)Opt, (byte)(ednsSize >> 8), (byte)ednsSize, 0, 0, 0, 0, 0, 0]);
        }

        return [.. bytes];
    }

    public static Response Parse(byte[] packet)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2));
        var counts = Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4 + (2 * i)))).ToArray();
        var at = 12;
        var questions = new List<(string Name, ushort Type)>();
        for (var i = 0; i < counts[0]; i++)
        {
            var name = ReadName(packet, ref at);
            questions.Add((name, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at))));
            at += 4;
        }

        var sections = new List<Record>[3];
        for (var s = 0; s < 3; s++)
        {
            sections[s] = [];
            for (var i = 0; i < counts[s + 1]; i++)
            {
                var name = ReadName(packet, ref at);
                var type = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at));
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(at + 4));
                var length = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at + 8));
                at += 10;
                var dataAt = at;
                var text = type switch
                {
                    A => new IPAddress(packet.AsSpan(at, 4)).ToString(),
                    Ptr or Cname => ReadName(packet, ref dataAt),
                    Srv => $"{BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at))} {BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at + 2))} "
                        + $"{BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at + 4))} {ReadNameAt(packet, at + 6)}",
                    Soa => ReadNameAt(packet, at),
                    _ => "",
                };
                sections[s].Add(new Record(name, type, ttl, text));
                at += length;
            }
        }

        if (at != packet.Length)
        {
            throw new FormatException($"{packet.Length - at} bytes after the last record");
        }

        return new Response(id, flags, questions, sections[0], sections[1], sections[2]);
    }

    private static string ReadNameAt(byte[] packet, int at) => ReadName(packet, ref at);

    private static string ReadName(byte[] packet, ref int at)
    {
        var labels = new List<string>();
        var position = at;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            var length = packet[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (!jumped)
                {
                    at = position + 2;
                }

                jumped = true;
                position = ((length & 0x3F) << 8) | packet[position + 1];
                continue;
            }

            if (length == 0)
            {
                if (!jumped)
                {
                    at = position + 1;
                }

                return string.Join('.', labels);
            }

            labels.Add(Encoding.ASCII.GetString(packet, position + 1, length));
            position += 1 + length;
        }

        throw new FormatException("pointer loop");
    }

    public static async Task<byte[]> UdpAsync(EndPoint server, byte[] query, TimeSpan? timeout = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(query);
        var buffer = new byte[65535];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return buffer[..n];
    }

    public static async Task<byte[]> TcpAsync(EndPoint server, byte[] query)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var lengthBytes = new byte[2];
        await ReadExactlyAsync(socket, lengthBytes, cts.Token);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(lengthBytes)];
        await ReadExactlyAsync(socket, reply, cts.Token);
        return reply;
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            if (n == 0)
            {
                throw new IOException("connection closed");
            }

            read += n;
        }
    }

    public sealed record Record(string Name, ushort Type, uint Ttl, string Data);

    public sealed record Response(ushort Id, ushort Flags, List<(string Name, ushort Type)> Questions, List<Record> Answers,
        List<Record> Authority, List<Record> Additional)
    {
        public int Rcode => Flags & 0xF;

        public bool Authoritative => (Flags & 0x0400) != 0;

        public bool Truncated => (Flags & 0x0200) != 0;

        public bool IsResponse => (Flags & 0x8000) != 0;

        public string[] Addresses => [.. Answers.Where(a => a.Type == A).Select(a => a.Data).Order(StringComparer.Ordinal)];
    }
}
