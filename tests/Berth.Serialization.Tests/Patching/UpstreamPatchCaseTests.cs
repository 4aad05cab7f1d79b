using System.Text.Json.Nodes;
using Berth.Serialization.Patching;
using k8s.Models;

namespace Berth.Serialization.Tests.Patching;

/// <summary>
/// Differential tests against upstream: Fixtures/upstream-patch-cases.json records what real kubectl
/// (<c>kubectl patch --local</c>, i.e. apimachinery's strategic merge patch and evanphx/json-patch) produced for
/// each case, and what its YAML decoding (sigs.k8s.io/yaml) made of a manifest; Fixtures/regenerate.py re-records it.
/// </summary>
public sealed class UpstreamPatchCaseTests
{
    private static readonly JsonObject Recording = (JsonObject)JsonNode.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Patching", "Fixtures", "upstream-patch-cases.json")))!;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Recording["cases"]!.AsArray())
        {
            data.Add((string)c!["type"]! + ": " + (string)c["name"]!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Berth_patches_like_kubectl(string name)
    {
        var c = Recording["cases"]!.AsArray().Single(x => (string)x!["type"]! + ": " + (string)x["name"]! == name)!;
        var type = (string)c["kind"]! == "Service" ? typeof(V1Service) : typeof(V1StatefulSet);
        if ((string)c["type"]! == "yaml")
        {
            JsonAssert.Equal(c["expected"], YamlToJson.ConvertSingle((string)c["yaml"]!));
            return;
        }

        var original = c["original"];
        var patch = c["patch"];

        Func<JsonNode?> apply = (string)c["type"]! switch
        {
            "strategic" => () => StrategicMergePatch.Apply(original, patch, type),
            "merge" => () => JsonMergePatch.Apply(original, patch),
            _ => () => JsonPatch.Apply(original, patch),
        };

        if (c["error"] is { } error)
        {
            var e = Assert.Throws<PatchException>(() => apply());
            var actual = (string)c["type"]! == "json" ? e.Detail : e.Message;
            Assert.Equal(((string)error!).Trim(), actual.Trim());
        }
        else
        {
            JsonAssert.Equal(c["expected"], apply());
        }
    }
}
