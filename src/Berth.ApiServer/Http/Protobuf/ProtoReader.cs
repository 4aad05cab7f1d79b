namespace Berth.ApiServer.Http.Protobuf;

/// <summary>
/// The protobuf wire format, read forward over one message's bytes: a tag (field number and wire type) as a varint,
/// then a varint, a fixed 32/64-bit value, or a length-delimited byte string (strings, bytes, nested messages, map
/// entries, repeated elements). Unknown fields are skipped as upstream's generated code skips them; every fault is a
/// <see cref="ProtobufFormatException"/> with the message Go's unmarshalling gives.
/// </summary>
internal ref struct ProtoReader
{
    /// <summary>upstream's generated skip code nests groups no deeper than this before it gives up.</summary>
    private const int MaxGroupDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>
    /// The next field's number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32), or false at the
    /// message's end: the loop head of every decoder, as upstream's generated Unmarshal loops <c>for iNdEx &lt; l</c>.
    /// </summary>
    public bool TryReadTag(string message, out int field, out int wireType)
    {
        if (AtEnd)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        (field, wireType) = ReadTag(message);
        return true;
    }

    private (int Field, int WireType) ReadTag(string message)
    {
        var tag = ReadVarint();
        var field = (long)(tag >> 3);
        var wireType = (int)(tag & 7);
        if (wireType == 4)
        {
            throw new ProtobufFormatException($"proto: {message}: wiretype end group for non-group");
        }

        if (field <= 0 || field > int.MaxValue)
        {
            throw new ProtobufFormatException($"proto: {message}: illegal tag {(int)field} (wire type {wireType})");
        }

        return ((int)field, wireType);
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift >= 64)
            {
                throw new ProtobufFormatException("proto: integer overflow");
            }

            if (_position >= _data.Length)
            {
                throw new ProtobufFormatException("unexpected EOF");
            }

            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    /// <summary>A length-delimited value: the bytes of a string, bytes field, nested message or map entry.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = (long)ReadVarint();
        if (length < 0)
        {
            throw new ProtobufFormatException("proto: negative length found during unmarshaling");
        }

        if (length > _data.Length - _position)
        {
            throw new ProtobufFormatException("unexpected EOF");
        }

        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>Skips a field this reader does not decode, as upstream's skipGenerated does.</summary>
    public void Skip(int wireType)
    {
        var depth = 0;
        while (true)
        {
            switch (wireType)
            {
                case 0:
                    ReadVarint();
                    break;
                case 1:
                    Advance(8);
                    break;
                case 2:
                    ReadLengthDelimited();
                    break;
                case 3:
                    depth++;
                    if (depth > MaxGroupDepth)
                    {
                        throw new ProtobufFormatException("proto: too many nested groups");
                    }

                    break;
                case 4:
                    if (depth == 0)
                    {
                        throw new ProtobufFormatException("proto: unexpected end of group");
                    }

                    depth--;
                    break;
                case 5:
                    Advance(4);
                    break;
                default:
                    throw new ProtobufFormatException($"proto: illegal wireType {wireType}");
            }

            if (depth == 0)
            {
                return;
            }

            var tag = ReadVarint();
            wireType = (int)(tag & 7);
        }
    }

    private void Advance(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new ProtobufFormatException("unexpected EOF");
        }

        _position += count;
    }
}
