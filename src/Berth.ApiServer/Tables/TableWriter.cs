using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Berth.Core;
using Berth.Storage;

namespace Berth.ApiServer.Tables;

/// <summary>
/// Renders meta.k8s.io Tables straight from stored bytes: one parse per object for the cells, metadata bytes copied
/// through as PartialObjectMetadata (or the whole object with includeObject=Object), so kubectl can add
/// NAMESPACE, LABELS and --sort-by columns itself. A list's Table is streamed into the response as it is rendered
/// (as upstream's serializer writes into the response writer): no buffer the size of the whole Table, which for
/// 5,000 pods was 4 MB grown by doubling, copied once more, and left for the GC's large object heap.
/// </summary>
internal static class TableWriter
{
    /// <summary>How much rendered Table is handed to the connection at a time.</summary>
    private const int FlushBytes = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static byte[] Render(ResourceDescriptor resource, IEnumerable<ReadOnlyMemory<byte>> items, string? resourceVersion,
        string? continueToken, long? remainingItemCount, string includeObject, bool includeColumns, DateTimeOffset now,
        string tableApiVersion = "meta.k8s.io/v1")
    {
        var table = TablePrinters.For(resource);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteStart(w, table, resourceVersion, continueToken, remainingItemCount, includeColumns, tableApiVersion);
            foreach (var item in items)
            {
                WriteRow(w, table, item, includeObject, now);
            }

            WriteEnd(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A list's Table written into <paramref name="body"/> (the response's pipe), flushed every 64 KiB.</summary>
    public static async Task WriteAsync(PipeWriter body, ResourceDescriptor resource, IReadOnlyList<KeyValue> items, string? resourceVersion,
        string? continueToken, long? remainingItemCount, string includeObject, DateTimeOffset now, string tableApiVersion,
        CancellationToken cancellationToken)
    {
        var table = TablePrinters.For(resource);
        await using var w = new Utf8JsonWriter(body, WriterOptions);
        WriteStart(w, table, resourceVersion, continueToken, remainingItemCount, includeColumns: true, tableApiVersion);
        foreach (var item in items)
        {
            WriteRow(w, table, item.Value, includeObject, now);
            if (w.BytesPending >= FlushBytes)
            {
                await w.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        WriteEnd(w);
        await w.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteStart(Utf8JsonWriter w, ResourceTable table, string? resourceVersion, string? continueToken, long? remainingItemCount,
        bool includeColumns, string tableApiVersion)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", tableApiVersion);
        w.WriteStartObject("metadata");
        if (resourceVersion is not null)
        {
            w.WriteString("resourceVersion", resourceVersion);
        }

        if (continueToken is not null)
        {
            w.WriteString("continue", continueToken);
        }

        if (remainingItemCount is { } remaining)
        {
            w.WriteNumber("remainingItemCount", remaining);
        }

        w.WriteEndObject();
        if (includeColumns)
        {
            w.WriteStartArray("columnDefinitions");
            foreach (var c in table.Columns)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("type", c.Type);
                w.WriteString("format", c.Format);
                w.WriteString("description", c.Description);
                w.WriteNumber("priority", c.Priority);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartArray("rows");
    }

    private static void WriteRow(Utf8JsonWriter w, ResourceTable table, ReadOnlyMemory<byte> item, string includeObject, DateTimeOffset now)
    {
        var span = item.Span;
        var (metadataStart, metadataEnd, cutStart, cutEnd) = ScanMetadata(span);
        byte[]? rented = null;
        var parsed = item;
        if (cutEnd > cutStart)
        {
            // No printer reads metadata.managedFields, often a third of a stored object and its densest part:
            // the cells are read from a copy without it (its bytes still go out with the row's metadata).
            rented = ArrayPool<byte>.Shared.Rent(span.Length);
            span[..cutStart].CopyTo(rented);
            span[cutEnd..].CopyTo(rented.AsSpan(cutStart));
            parsed = rented.AsMemory(0, span.Length - (cutEnd - cutStart));
        }

        try
        {
            using var doc = JsonDocument.Parse(parsed);
            w.WriteStartObject();
            WriteCells(w, table, doc.RootElement, now);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        switch (includeObject)
        {
            case "Object":
                w.WritePropertyName("object");
                w.WriteRawValue(span, skipInputValidation: true);
                break;
            case "Metadata":
                w.WriteStartObject("object");
                w.WriteString("kind", "PartialObjectMetadata");
                w.WriteString("apiVersion", "meta.k8s.io/v1");
                if (metadataEnd > metadataStart)
                {
                    // The stored metadata's bytes as they are: re-writing the element token by token was most of
                    // a row's cost (the stored JSON is valid and written with Go's escaping already).
                    w.WritePropertyName("metadata");
                    w.WriteRawValue(span[metadataStart..metadataEnd], skipInputValidation: true);
                }

                w.WriteEndObject();
                break;
            default:
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteCells(Utf8JsonWriter w, ResourceTable table, JsonElement root, DateTimeOffset now)
    {
        w.WriteStartArray("cells");
        foreach (var cell in table.Cells(root, now))
        {
            switch (cell)
            {
                case long n:
                    w.WriteNumberValue(n);
                    break;
                case int n:
                    w.WriteNumberValue(n);
                    break;
                default:
                    w.WriteStringValue(cell?.ToString() ?? "");
                    break;
            }
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Where the top-level metadata object's bytes are, and the bytes to cut to leave out its managedFields member
    /// (with one adjacent comma); empty ranges when there is no such member. Stops reading after metadata.
    /// </summary>
    private static (int MetadataStart, int MetadataEnd, int CutStart, int CutEnd) ScanMetadata(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
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

            var start = (int)reader.TokenStartIndex;
            int cutStart = 0, cutEnd = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isManagedFields = reader.ValueTextEquals("managedFields"u8);
                var nameStart = (int)reader.TokenStartIndex;
                reader.Read();
                reader.Skip();
                if (isManagedFields)
                {
                    (cutStart, cutEnd) = WithComma(json, nameStart, (int)reader.BytesConsumed);
                }
            }

            return (start, (int)reader.BytesConsumed, cutStart, cutEnd);
        }

        return default;
    }

    /// <summary>A member's range widened by the comma after it, or else the comma before it, so what is left is valid JSON.</summary>
    private static (int Start, int End) WithComma(ReadOnlySpan<byte> json, int start, int end)
    {
        var after = end;
        while (after < json.Length && json[after] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            after++;
        }

        if (after < json.Length && json[after] == (byte)',')
        {
            return (start, after + 1);
        }

        var before = start - 1;
        while (before >= 0 && json[before] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            before--;
        }

        return before >= 0 && json[before] == (byte)',' ? (before, end) : (start, end);
    }

    private static void WriteEnd(Utf8JsonWriter w)
    {
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
