using System.Text.Json;

namespace Berth.ApiServer.Client;

/// <summary>
/// The stored object's bytes without <c>metadata.managedFields</c>, for the in-process client's decodes. Controllers
/// never read managedFields, and a write that leaves them out keeps the live ones (upstream FieldManager: absent
/// managedFields carry over), so decoding them into every informer's copy of every object was pure cost: after a
/// create, a binding and a status write a pod carries three entries, about a third of its JSON.
/// </summary>
internal static class ManagedFieldsOmission
{
    public static ReadOnlySpan<byte> Omit(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\"managedFields\""u8) < 0)
        {
            return json;
        }

        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return json;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            if (!reader.Read())
            {
                return json;
            }

            if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("managedFields"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                var start = (int)reader.TokenStartIndex;
                reader.Read();
                reader.Skip();
                return Cut(json, start, (int)reader.BytesConsumed);
            }

            return json;
        }

        return json;
    }

    /// <summary>
    /// <paramref name="json"/> without the member at [<paramref name="start"/>, <paramref name="end"/>) and the comma
    /// that separates it from its neighbour (the one before it, or after it when it is the first member).
    /// </summary>
    private static byte[] Cut(ReadOnlySpan<byte> json, int start, int end)
    {
        var before = start - 1;
        while (before >= 0 && IsSpace(json[before]))
        {
            before--;
        }

        if (json[before] == (byte)',')
        {
            start = before;
        }
        else
        {
            var after = end;
            while (after < json.Length && IsSpace(json[after]))
            {
                after++;
            }

            if (after < json.Length && json[after] == (byte)',')
            {
                end = after + 1;
            }
        }

        var result = new byte[json.Length - (end - start)];
        json[..start].CopyTo(result);
        json[end..].CopyTo(result.AsSpan(start));
        return result;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
