using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.Core;
using k8s.Models;

namespace Berth.ApiServer.Tests.Registry;

public sealed class ModelCodecTests
{
    [Fact]
    public void Encoding_straight_to_bytes_writes_the_same_text_as_encoding_through_the_json_tree()
    {
        var pods = ResourceCatalog.Find("", "v1", "pods")!;
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = "web-0",
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["app"] = "web", ["tier<&>"] = "\"quoted\" ünïcödé ✓" },
                Annotations = new Dictionary<string, string> { ["note"] = "a < b && c > d\n\ttab \u0001 control" },
                CreationTimestamp = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "c", Image = "nginx:1.25", Args = ["--flag=<x>", "日本語"] }],
                TerminationGracePeriodSeconds = 30,
            },
        };

        var throughTree = ObjectRegistry.Serialize(ModelCodec.Encode(pods, pod));
        var direct = ModelCodec.EncodeBytes(pods, pod);

        Assert.Equal(Encoding.UTF8.GetString(throughTree), Encoding.UTF8.GetString(direct));
        Assert.StartsWith("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",", Encoding.UTF8.GetString(direct), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_found_at_every_depth_in_upstream_path_form()
    {
        var body = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","bogus":1,"metadata":{"name":"p","labels":{"any":"x"},"extra":{}},
             "spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"i","nope":true,"ports":[{"containerPort":1,"deep":2}]}]}}
            """)!.AsObject();

        var unknown = ModelCodec.FindUnknownFields(typeof(V1Pod), body);

        Assert.Equal(["bogus", "metadata.extra", "spec.containers[1].nope", "spec.containers[1].ports[0].deep"], unknown);
    }
}
