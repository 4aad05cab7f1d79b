using System.Text.Json.Serialization;

namespace Berth.Serialization;

/// <summary>
/// Our own metav1.Status wire type: the KubernetesClient converter refuses to write V1Status, and its
/// source-generated fallback emits a spurious "hasObject" field. kubectl prints
/// <c>Error from server (Reason): message</c> from this.
/// </summary>
public sealed record Status
{
    [JsonPropertyName("kind")] public string Kind { get; init; } = "Status";
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; init; } = "v1";
    [JsonPropertyName("metadata")] public StatusListMeta Metadata { get; init; } = new();
    [JsonPropertyName("status")] public string? StatusValue { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("details")] public StatusDetails? Details { get; init; }
    [JsonPropertyName("code")] public int Code { get; init; }

    public static Status Failure(int code, string reason, string message, StatusDetails? details = null) =>
        new() { StatusValue = "Failure", Code = code, Reason = reason, Message = message, Details = details };

    public static Status Success(StatusDetails? details = null) =>
        new() { StatusValue = "Success", Code = 200, Details = details };
}
