using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Berth.Core;

namespace Berth.ApiServer.Tables;

/// <summary>
/// Renders meta.k8s.io Tables straight from stored bytes: one parse per object for the cells, metadata bytes copied
/// through as PartialObjectMetadata (or the whole object with includeObject=Object), so kubectl can add
/// NAMESPACE, LABELS and --sort-by columns itself.
/// </summary>
internal static class TableWriter
{
    public static byte[] Render(ResourceDescriptor resource, IEnumerable<ReadOnlyMemory<byte>> items, string? resourceVersion,
        string? continueToken, long? remainingItemCount, string includeObject, bool includeColumns, DateTimeOffset now,
        string tableApiVersion = "meta.k8s.io/v1")
    {
        var table = TablePrinters.For(resource);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer))
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
            foreach (var item in items)
            {
                using var doc = JsonDocument.Parse(item);
                var root = doc.RootElement;
                w.WriteStartObject();
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
                switch (includeObject)
                {
                    case "Object":
                        w.WritePropertyName("object");
                        w.WriteRawValue(item.Span, skipInputValidation: true);
                        break;
                    case "Metadata":
                        w.WriteStartObject("object");
                        w.WriteString("kind", "PartialObjectMetadata");
                        w.WriteString("apiVersion", "meta.k8s.io/v1");
                        if (root.TryGetProperty("metadata", out var metadata))
                        {
                            // The stored metadata's bytes as they are: re-writing the element token by token was most of
                            // a row's cost (the stored JSON is valid and written with Go's escaping already).
                            w.WritePropertyName("metadata");
                            w.WriteRawValue(JsonMarshal.GetRawUtf8Value(metadata), skipInputValidation: true);
                        }

                        w.WriteEndObject();
                        break;
                    default:
                        break;
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
