using System.Text;

namespace Berth.ApiServer.Tests.Protobuf;

/// <summary>Writes protobuf wire format for tests: fields in the order given, nested messages as builders.</summary>
internal sealed class ProtoBuilder
{
    private readonly List<byte> _bytes = [];

    public static byte[] Envelope(string apiVersion, string kind, ProtoBuilder raw)
    {
        var unknown = new ProtoBuilder()
            .Message(1, new ProtoBuilder().String(1, apiVersion).String(2, kind))
            .Bytes(2, raw.ToArray())
            .String(3, "")
            .String(4, "");
        return [0x6b, 0x38, 0x73, 0x00, .. unknown.ToArray()];
    }

    public ProtoBuilder Varint(int field, ulong value) => Tag(field, 0).Raw(VarintBytes(value));

    public ProtoBuilder String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoBuilder Bytes(int field, byte[] value) => Tag(field, 2).Raw(VarintBytes((ulong)value.Length)).Raw(value);

    public ProtoBuilder Message(int field, ProtoBuilder message) => Bytes(field, message.ToArray());

    public ProtoBuilder MapEntry(int field, string key, string value) =>
        Message(field, new ProtoBuilder().String(1, key).String(2, value));

    public ProtoBuilder Raw(byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    private ProtoBuilder Tag(int field, int wireType) => Raw(VarintBytes(((ulong)field << 3) | (uint)wireType));

    private static byte[] VarintBytes(ulong value)
    {
        var result = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            result.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. result];
    }
}
