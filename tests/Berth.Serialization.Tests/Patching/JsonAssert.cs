using System.Text.Json.Nodes;

namespace Berth.Serialization.Tests.Patching;

internal static class JsonAssert
{
    public static JsonNode? Parse(string json) => JsonNode.Parse(json.Replace('\'', '"'));

    /// <summary>Semantic equality, printing both documents on failure.</summary>
    public static void Equal(string expected, JsonNode? actual) => Equal(Parse(expected), actual);

    public static void Equal(JsonNode? e, JsonNode? actual)
    {
        Assert.True(JsonNode.DeepEquals(e, actual), $"expected {e?.ToJsonString()}\n  actual {actual?.ToJsonString()}");
    }
}
