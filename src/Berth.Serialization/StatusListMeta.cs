using System.Text.Json.Serialization;

namespace Berth.Serialization;

public sealed record StatusListMeta
{
    [JsonPropertyName("resourceVersion")] public string? ResourceVersion { get; init; }
    [JsonPropertyName("continue")] public string? Continue { get; init; }
}
