using System.Buffers.Binary;
using System.Text;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// A SPDY/3 name/value header block (uncompressed form): a 32-bit count, then for each pair a 32-bit length and the
/// lowercase name, a 32-bit length and the value (several values joined by NUL). Names compare case-insensitively
/// here because client-go sets canonical names (streamType) that the framer lowercases on the wire.
/// </summary>
internal sealed class SpdyHeaders
{
    private readonly Dictionary<string, string[]> _values = new(StringComparer.OrdinalIgnoreCase);

    public static SpdyHeaders Empty { get; } = new();

    public int Count => _values.Count;

    public IEnumerable<KeyValuePair<string, string[]>> All => _values;

    public string? Get(string name) => _values.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;

    public SpdyHeaders Add(string name, string value)
    {
        _values[name] = _values.TryGetValue(name, out var existing) ? [.. existing, value] : [value];
        return this;
    }

    public byte[] Encode()
    {
        var buffer = new List<byte>(64);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, _values.Count);
        buffer.AddRange(length);
        foreach (var (name, values) in _values)
        {
            var n = Encoding.UTF8.GetBytes(name.ToLowerInvariant());
            var v = Encoding.UTF8.GetBytes(string.Join('\0', values));
            BinaryPrimitives.WriteInt32BigEndian(length, n.Length);
            buffer.AddRange(length);
            buffer.AddRange(n);
            BinaryPrimitives.WriteInt32BigEndian(length, v.Length);
            buffer.AddRange(length);
            buffer.AddRange(v);
        }

        return [.. buffer];
    }

    public static SpdyHeaders Decode(ReadOnlySpan<byte> block)
    {
        var headers = new SpdyHeaders();
        var count = ReadLength(ref block);
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetString(ReadBytes(ref block));
            var value = Encoding.UTF8.GetString(ReadBytes(ref block));
            if (name.Length == 0)
            {
                throw new SpdyProtocolException("empty header name");
            }

            foreach (var v in value.Split('\0'))
            {
                headers.Add(name, v);
            }
        }

        return headers;
    }

    private static int ReadLength(ref ReadOnlySpan<byte> block)
    {
        if (block.Length < 4)
        {
            throw new SpdyProtocolException("truncated header block");
        }

        var n = BinaryPrimitives.ReadUInt32BigEndian(block);
        block = block[4..];
        return n > (uint)block.Length ? throw new SpdyProtocolException("header block length out of range") : (int)n;
    }

    private static ReadOnlySpan<byte> ReadBytes(ref ReadOnlySpan<byte> block)
    {
        var n = ReadLength(ref block);
        var bytes = block[..n];
        block = block[n..];
        return bytes;
    }
}
