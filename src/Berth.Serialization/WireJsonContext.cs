using System.Text.Json.Serialization;

namespace Berth.Serialization;

/// <summary>Source-generated JSON for Berth's own wire types (AOT-clean).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Status))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
[JsonSerializable(typeof(RawJson))]
public sealed partial class WireJsonContext : JsonSerializerContext;
