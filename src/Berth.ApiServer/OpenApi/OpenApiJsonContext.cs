using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Berth.ApiServer.OpenApi;

/// <summary>Source-generated JSON for the OpenAPI documents (JsonObject trees), keeping the writer AOT-clean.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class OpenApiJsonContext : JsonSerializerContext;
