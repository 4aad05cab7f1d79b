using System.Buffers.Text;
using System.Text.Json;

namespace Berth.Storage;

/// <summary>
/// Byte-level work on stored objects: validation at the boundary, stamping <c>metadata.resourceVersion</c>
/// with a revision, and reading <c>metadata.uid</c>. Stamping splices bytes instead of a model round trip, so
/// the rest of the accepted JSON is served exactly as it came in (the upstream etcd3 store also rewrites
/// resourceVersion on the way in and out through its versioner; we do it once, on write).
/// </summary>
internal static class ObjectBytes
{
    /// <summary>
    /// Upstream's API server takes request bodies up to 3 MiB and etcd values up to 1.5 MiB; the slack covers
    /// what defaulting and managedFields add to a body that was just under the request limit.
    /// </summary>
    public const int MaxValueBytes = (3 * 1024 * 1024) + (512 * 1024);

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 128 };

    /// <summary>
    /// Checks that <paramref name="json"/> is one JSON object whose metadata (if present) is an object, and
    /// returns a copy with metadata.resourceVersion set to <paramref name="revision"/>.
    /// </summary>
    public static byte[] ValidateAndStamp(ReadOnlySpan<byte> json, long revision)
    {
        var layout = Scan(json);
        return Stamp(json, layout, revision);
    }

    /// <summary>Checks <paramref name="json"/> without stamping, returning the layout needed to stamp it later.</summary>
    public static Layout Validate(ReadOnlySpan<byte> json) => Scan(json);

    /// <summary>Stamps a value already known to be valid (it was validated on its way in).</summary>
    public static byte[] Stamp(ReadOnlySpan<byte> json, long revision) => Stamp(json, Scan(json), revision);

    public static byte[] Stamp(ReadOnlySpan<byte> json, Layout layout, long revision)
    {
        Span<byte> digits = stackalloc byte[24];
        if (!Utf8Formatter.TryFormat(revision, digits, out var n))
        {
            throw new InvalidOperationException("revision does not format");
        }

        digits = digits[..n];
        if (layout.ResourceVersionStart >= 0)
        {
            // Replace the existing value token (whatever its type) with "<revision>".
            var head = json[..layout.ResourceVersionStart];
            var tail = json[layout.ResourceVersionEnd..];
            var result = new byte[head.Length + n + 2 + tail.Length];
            head.CopyTo(result);
            result[head.Length] = (byte)'"';
            digits.CopyTo(result.AsSpan(head.Length + 1));
            result[head.Length + 1 + n] = (byte)'"';
            tail.CopyTo(result.AsSpan(head.Length + n + 2));
            return result;
        }

        // Insert the property right after an opening brace: metadata's if there is one, else the root's.
        ReadOnlySpan<byte> before;
        ReadOnlySpan<byte> after;
        var insertAt = layout.MetadataOpen >= 0 ? layout.MetadataOpen + 1 : layout.RootOpen + 1;
        var needsComma = layout.MetadataOpen >= 0 ? !layout.MetadataEmpty : !layout.RootEmpty;
        if (layout.MetadataOpen >= 0)
        {
            before = "\"resourceVersion\":\""u8;
            after = needsComma ? "\","u8 : "\""u8;
        }
        else
        {
            before = "\"metadata\":{\"resourceVersion\":\""u8;
            after = needsComma ? "\"},"u8 : "\"}"u8;
        }

        var output = new byte[json.Length + before.Length + n + after.Length];
        var span = output.AsSpan();
        json[..insertAt].CopyTo(span);
        span = span[insertAt..];
        before.CopyTo(span);
        span = span[before.Length..];
        digits.CopyTo(span);
        span = span[n..];
        after.CopyTo(span);
        span = span[after.Length..];
        json[insertAt..].CopyTo(span);
        return output;
    }

    /// <summary>metadata.uid of a stored (valid) value, or null.</summary>
    public static string? ReadUid(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUid = reader.ValueTextEquals("uid"u8);
                reader.Read();
                if (isUid)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }

            return null;
        }

        return null;
    }

    private static Layout Scan(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxValueBytes)
        {
            throw Invalid($"value is {json.Length} bytes; the limit is {MaxValueBytes}");
        }

        var layout = new Layout { RootOpen = -1, MetadataOpen = -1, ResourceVersionStart = -1, ResourceVersionEnd = -1 };
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("value must be a JSON object");
            }

            layout.RootOpen = (int)reader.TokenStartIndex;
            layout.RootEmpty = true;
            var sawMetadata = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                layout.RootEmpty = false;
                var isMetadata = reader.ValueTextEquals("metadata"u8);
                reader.Read();
                if (!isMetadata)
                {
                    SkipValue(ref reader);
                    continue;
                }

                if (sawMetadata)
                {
                    throw Invalid("value has more than one \"metadata\" property");
                }

                sawMetadata = true;
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Invalid("metadata must be a JSON object");
                }

                layout.MetadataOpen = (int)reader.TokenStartIndex;
                layout.MetadataEmpty = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    layout.MetadataEmpty = false;
                    var isResourceVersion = reader.ValueTextEquals("resourceVersion"u8);
                    reader.Read();
                    if (isResourceVersion)
                    {
                        if (layout.ResourceVersionStart >= 0)
                        {
                            throw Invalid("metadata has more than one \"resourceVersion\" property");
                        }

                        layout.ResourceVersionStart = (int)reader.TokenStartIndex;
                        SkipValue(ref reader);
                        layout.ResourceVersionEnd = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }

            // Trailing content after the object is rejected by the reader itself ("invalid after a single JSON value").
            if (reader.Read())
            {
                throw Invalid("value must be a single JSON object");
            }
        }
        catch (JsonException e)
        {
            throw Invalid($"value is not valid JSON: {e.Message}");
        }

        return layout;
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
    }

    private static StoreException Invalid(string message) => new(StoreErrorCode.InvalidValue, message);

    /// <summary>Where the stamp goes; offsets into the validated bytes.</summary>
    internal struct Layout
    {
        public int RootOpen;
        public bool RootEmpty;
        public int MetadataOpen;
        public bool MetadataEmpty;
        public int ResourceVersionStart;
        public int ResourceVersionEnd;
    }
}
