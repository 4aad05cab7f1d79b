using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Http.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>Reads request bodies with upstream's 3 MiB limit and turns them into JSON trees or 400s.</summary>
internal static class RequestBody
{
    /// <summary>upstream's limit on JSON/YAML request bodies (3 MiB).</summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    public static async Task<byte[]> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBytes)
        {
            throw Errors.RequestEntityTooLarge(MaxBytes);
        }

        if (request.ContentLength is > 0 and <= MaxBytes)
        {
            return await ReadExactlyAsync(context, (int)request.ContentLength.Value).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await request.Body.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > MaxBytes)
            {
                throw Errors.RequestEntityTooLarge(MaxBytes);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A body of known length (what kubectl and client libraries send) read straight into an array of that size: asking a
    /// buffer for 16 KiB of room per read allocated and zeroed 16 KiB for every small create and update.
    /// </summary>
    private static async Task<byte[]> ReadExactlyAsync(HttpContext context, int length)
    {
        var body = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await context.Request.Body.ReadAsync(body.AsMemory(filled), context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                // A body that ends early (Kestrel itself fails such a request; a test host may not) keeps what came, as the loop below does.
                return body[..filled];
            }

            filled += read;
        }

        return body;
    }

    /// <summary>
    /// A JSON (or, for create/update, YAML) object body, or a protobuf one of the kinds kubectl sends that way
    /// (<see cref="KubernetesProtobuf"/>). Anything else is refused with 415, as upstream refuses media types it has no
    /// decoder for.
    /// </summary>
    public static JsonObject ParseObject(byte[] body, string? contentType, string kindForMessages)
    {
        var essence = MediaTypes.Essence(contentType);
        switch (essence)
        {
            case "application/json" or "":
                return ParseJsonObject(body, kindForMessages);
            case "application/yaml":
                return ParseJsonObject(YamlBody.ToJson(body), kindForMessages);
            case KubernetesProtobuf.MediaType:
                return KubernetesProtobuf.Decode(body, kindForMessages);
            default:
                throw Errors.UnsupportedMediaType();
        }
    }

    public static JsonObject ParseJsonObject(ReadOnlySpan<byte> body, string kindForMessages)
    {
        var node = ParseJson(body, kindForMessages);
        return node as JsonObject
            ?? throw Errors.BadRequest($"couldn't get version/kind; json parse error: json: cannot unmarshal {JsonKind(node)} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}");
    }

    public static JsonNode? ParseJson(ReadOnlySpan<byte> body, string kindForMessages)
    {
        _ = kindForMessages;
        if (body.IsEmpty)
        {
            throw Errors.BadRequest("the body of the request was empty");
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            // System.Text.Json materialises strings lazily and would fail later; refuse up front.
            throw Errors.BadRequest("couldn't get version/kind; json parse error: invalid UTF-8 in request body");
        }

        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // upstream: `couldn't get version/kind; json parse error: invalid character ...`
            throw Errors.BadRequest("couldn't get version/kind; json parse error: " + e.Message);
        }
    }

    public static string JsonKind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "array",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        JsonValue => "bool",
        _ => "object",
    };

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
