using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Serialization.Tests.Patching;

/// <summary>Small random JSON documents without nulls (merge patch cannot express a null value).</summary>
internal static class JsonGen
{
    private static readonly Gen<string> Key = Gen.Elements("a", "b", "c", "spec", "x/y", "m~n");

    private static Gen<JsonNode> Value(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Choose(-5, 5).Select(i => (JsonNode)JsonValue.Create(i)),
            Gen.Elements("p", "q", "", "yes", "on", "~", "null", "1", "0x1F", "1e3", "a: b", "#x", "- y", "\"q\"", "it's", "\t\\", "é\u2028",
                "{\"k\":\"v\"}", "&a", "*a", "!t", "%", "@", "`").Select(s => (JsonNode)JsonValue.Create(s)),
            Gen.Elements(1.5, -0.25, 1e-7, 12345678.5).Select(d => (JsonNode)JsonValue.Create(d)),
            Gen.Elements(true, false).Select(b => (JsonNode)JsonValue.Create(b)));
        if (depth == 0)
        {
            return scalar;
        }

        var array = Gen.ListOf(Value(depth - 1)).Select(items => (JsonNode)new JsonArray([.. items.Take(3)]));
        return Gen.Frequency((3, scalar), (2, Object(depth - 1).Select(o => (JsonNode)o)), (1, array));
    }

    private static Gen<JsonObject> Object(int depth) =>
        Gen.ListOf(Key.Zip(Value(depth))).Select(pairs =>
        {
            var obj = new JsonObject();
            foreach (var (k, v) in pairs.Take(4))
            {
                obj[k] = v;
            }

            return obj;
        });

    public static Gen<JsonNode> Document { get; } = Object(3).Select(o => (JsonNode)o);
}
