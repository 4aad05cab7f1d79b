using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Berth.Serialization;

namespace Berth.ApiServer.Registry;

/// <summary>
/// Writes the JSON the store keeps (<see cref="BerthJson.GoWriterOptions"/>) through one buffer and writer per thread, so each encode allocates only its result. A fresh
/// buffer per encode grew 1 KiB → 2 KiB → 4 KiB for a pod, copying as it went, and a pod's life (its create, its
/// Events, its status write) encodes several times: that garbage was a measurable part of the create load's GC work
/// (docs/benchmarks.md). Encoding never awaits or re-enters, so a thread's buffer is never in use twice.
/// </summary>
internal static class StoredJsonWriter
{
    // A buffer that once held a large object is dropped rather than kept per thread.
    private const int MaxRetainedBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public static byte[] Write(object value, JsonTypeInfo typeInfo)
    {
        var writer = Rent(out var buffer);
        JsonSerializer.Serialize(writer, value, typeInfo);
        return Return(writer, buffer);
    }

    public static byte[] Write(JsonNode node)
    {
        var writer = Rent(out var buffer);
        node.WriteTo(writer);
        return Return(writer, buffer);
    }

    private static Utf8JsonWriter Rent(out ArrayBufferWriter<byte> buffer)
    {
        buffer = _buffer ??= new ArrayBufferWriter<byte>(8 * 1024);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer, BerthJson.GoWriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    private static byte[] Return(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        writer.Flush();
        var result = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxRetainedBytes)
        {
            _buffer = null;
            _writer = null;
        }

        return result;
    }
}
