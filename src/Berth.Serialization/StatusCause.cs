using System.Text.Json.Serialization;

namespace Berth.Serialization;

/// <summary>One cause of a Status; for Invalid errors, reason is the FieldValueX type and field the path.</summary>
public sealed record StatusCause(
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("field")] string? Field);
