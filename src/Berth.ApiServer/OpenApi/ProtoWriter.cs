using System.Text;

namespace Berth.ApiServer.OpenApi;

/// <summary>Just enough protobuf encoding (varints and length-delimited fields) to write a gnostic OpenAPI v2 document.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public ProtoWriter Bool(int field, bool value)
    {
        Varint((ulong)field << 3);
        Varint(value ? 1UL : 0UL);
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();

    private ProtoWriter Bytes(int field, byte[] value)
    {
        Varint(((ulong)field << 3) | 2);
        Varint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.WriteByte((byte)value);
    }
}
