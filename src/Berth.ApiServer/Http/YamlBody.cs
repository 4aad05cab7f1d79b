namespace Berth.ApiServer.Http;

/// <summary>YAML request bodies (upstream decodes application/yaml on create and update).</summary>
internal static class YamlBody
{
    public static byte[] ToJson(byte[] yaml)
    {
        _ = yaml;
        // Until Berth.Serialization's YamlToJson is merged, YAML bodies are refused as an unsupported media type.
        throw Errors.UnsupportedMediaType();
    }
}
