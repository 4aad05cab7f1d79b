using System.Text;
using Berth.Serialization;

namespace Berth.ApiServer.Http;

/// <summary>YAML request bodies (upstream decodes application/yaml on create and update, and apply-patch+yaml).</summary>
internal static class YamlBody
{
    public static byte[] ToJson(byte[] yaml)
    {
        var node = Convert(yaml) ?? throw Errors.BadRequest("the body of the request was empty");
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    public static System.Text.Json.Nodes.JsonNode? Convert(byte[] yaml)
    {
        try
        {
            return YamlToJson.ConvertSingle(Encoding.UTF8.GetString(yaml));
        }
        catch (YamlConversionException e)
        {
            // upstream: `error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context`
            throw Errors.BadRequest("error converting YAML to JSON: " + e.Message);
        }
    }
}
