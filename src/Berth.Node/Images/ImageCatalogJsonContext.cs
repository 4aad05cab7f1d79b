using System.Text.Json.Serialization;

namespace Berth.Node.Images;

/// <summary>
/// The catalog file's compiled JSON contract (camelCase fields, unknown fields refused as YamlDotNet's deserializer
/// did), so reading it needs no reflection and works under Native AOT.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ImageCatalogFile))]
internal sealed partial class ImageCatalogJsonContext : JsonSerializerContext;
