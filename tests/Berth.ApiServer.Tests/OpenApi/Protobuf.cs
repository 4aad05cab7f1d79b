using System.Text;

namespace Berth.ApiServer.Tests.OpenApi;

/// <summary>A minimal protobuf reader for checking the v2 document: fields by number, varints and length-delimited only.</summary>
internal static class Protobuf
{
    public static List<(int Field, object Value)> Decode(ReadOnlySpan<byte> data)
    {
        var fields = new List<(int, object)>();
        var position = 0;
        while (position < data.Length)
        {
            var key = ReadVarint(data, ref position);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    fields.Add((field, ReadVarint(data, ref position)));
                    break;
                case 2:
                    var length = (int)ReadVarint(data, ref position);
                    fields.Add((field, data.Slice(position, length).ToArray()));
                    position += length;
                    break;
                default:
                    throw new InvalidDataException($"unexpected wire type {key & 7}");
            }
        }

        return fields;
    }

    public static string String(List<(int Field, object Value)> message, int field) =>
        Encoding.UTF8.GetString((byte[])message.First(f => f.Field == field).Value);

    public static List<(int Field, object Value)> Message(List<(int Field, object Value)> message, int field) =>
        Decode((byte[])message.First(f => f.Field == field).Value);

    public static List<List<(int Field, object Value)>> Messages(List<(int Field, object Value)> message, int field) =>
        message.Where(f => f.Field == field).Select(f => Decode((byte[])f.Value)).ToList();

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        var shift = 0;
        while (true)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
        }
    }
}
