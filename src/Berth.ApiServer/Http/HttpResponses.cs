using System.Text.Json;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>Writing bytes, Status bodies and Warning headers.</summary>
internal static class HttpResponses
{
    public static Task WriteStatusAsync(HttpContext context, Status status)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(status, WireJsonContext.Default.Status);
        return WriteAsync(context, status.Code == 0 ? 500 : status.Code, bytes, MediaTypes.Json);
    }

    public static Task WriteAsync(HttpContext context, int statusCode, ReadOnlyMemory<byte> body, string contentType)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>upstream warning headers: <c>Warning: 299 - "text"</c>, which kubectl prints as "Warning: text".</summary>
    public static void AddWarnings(HttpContext context, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            var escaped = warning.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            context.Response.Headers.Append("Warning", $"299 - \"{escaped}\"");
        }
    }
}
