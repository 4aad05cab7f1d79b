using System.Text.Json.Nodes;
using Berth.ApiServer.OpenApi;
using Berth.Core;

namespace Berth.ApiServer.Tests.OpenApi;

public sealed class OpenApiDocumentsTests
{
    private static readonly OpenApiDocuments Documents = new(ResourceCatalog.All);

    private static JsonObject V3(string key)
    {
        Assert.True(Documents.TryGetV3(key, out var json, out _));
        return JsonNode.Parse(json)!.AsObject();
    }

    [Fact]
    public void Index_lists_every_group_version_with_a_hash()
    {
        var index = JsonNode.Parse(Documents.V3Index)!["paths"]!.AsObject();

        Assert.Equal(
            ["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/policy/v1", "apis/storage.k8s.io/v1"],
            index.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
        var url = index["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>();
        Assert.StartsWith("/openapi/v3/apis/apps/v1?hash=", url, StringComparison.Ordinal);
        Assert.Equal(128, url[(url.IndexOf('=', StringComparison.Ordinal) + 1)..].Length);
    }

    [Fact]
    public void Etag_is_the_quoted_hash_and_unknown_group_versions_are_absent()
    {
        Assert.True(Documents.TryGetV3("/openapi/v3/apis/apps/v1", out _, out var etag));
        var url = JsonNode.Parse(Documents.V3Index)!["paths"]!["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>();
        Assert.Equal("\"" + url[(url.IndexOf('=', StringComparison.Ordinal) + 1)..] + "\"", etag);
        Assert.False(Documents.TryGetV3("apis/batch/v1", out _, out _));
    }

    [Theory]
    [InlineData("apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}", "apps", "StatefulSet")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}", "", "Pod")]
    [InlineData("api/v1", "/api/v1/persistentvolumes/{name}", "", "PersistentVolume")]
    [InlineData("apis/policy/v1", "/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/{name}", "policy", "PodDisruptionBudget")]
    public void Patch_operations_carry_the_kind_and_field_validation_that_kubectl_looks_for(string key, string path, string group, string kind)
    {
        var patch = V3(key)["paths"]![path]!["patch"]!;

        var gvk = patch["x-kubernetes-group-version-kind"]!.AsObject();
        Assert.Equal((group, kind, "v1"), (gvk["group"]!.GetValue<string>(), gvk["kind"]!.GetValue<string>(), gvk["version"]!.GetValue<string>()));
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation" && p["in"]!.GetValue<string>() == "query");
    }

    [Fact]
    public void Statefulset_schemas_have_upstream_names_docs_refs_and_enums()
    {
        var schemas = V3("apis/apps/v1")["components"]!["schemas"]!;

        var set = schemas["io.k8s.api.apps.v1.StatefulSet"]!;
        Assert.Equal("StatefulSet", set["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());
        Assert.StartsWith("StatefulSet represents a set of pods with consistent identities.", set["description"]!.GetValue<string>(), StringComparison.Ordinal);

        var spec = schemas["io.k8s.api.apps.v1.StatefulSetSpec"]!;
        var updateStrategy = spec["properties"]!["updateStrategy"]!;
        Assert.Equal("#/components/schemas/io.k8s.api.apps.v1.StatefulSetUpdateStrategy", updateStrategy["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.StartsWith("updateStrategy indicates the StatefulSetUpdateStrategy", updateStrategy["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["selector", "template"], spec["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["OrderedReady", "Parallel"], spec["properties"]!["podManagementPolicy"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("integer", spec["properties"]!["replicas"]!["type"]!.GetValue<string>());
        Assert.Equal("int32", spec["properties"]!["replicas"]!["format"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PersistentVolumeClaim",
            spec["properties"]!["volumeClaimTemplates"]!["items"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec", spec["properties"]!["template"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
            spec["properties"]!["selector"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.NotNull(schemas["io.k8s.api.autoscaling.v1.Scale"]);
        Assert.NotNull(schemas["io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy"]);
    }

    [Fact]
    public void Patch_merge_keys_and_strategies_come_from_patch_metadata()
    {
        var podSpec = V3("apis/apps/v1")["components"]!["schemas"]!["io.k8s.api.core.v1.PodSpec"]!["properties"]!;

        Assert.Equal("name", podSpec["containers"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("merge", podSpec["containers"]!["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("merge,retainKeys", podSpec["volumes"]!["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("map", podSpec["containers"]!["x-kubernetes-list-type"]!.GetValue<string>());
        Assert.Equal(["name"], podSpec["containers"]!["x-kubernetes-list-map-keys"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void Every_reference_in_every_document_resolves()
    {
        foreach (var key in Documents.GroupVersions)
        {
            var document = V3(key);
            var schemas = document["components"]!["schemas"]!.AsObject();
            var refs = new List<string>();
            Collect(document, refs);

            Assert.NotEmpty(refs);
            foreach (var reference in refs)
            {
                Assert.StartsWith("#/components/schemas/", reference, StringComparison.Ordinal);
                Assert.True(schemas.ContainsKey(reference["#/components/schemas/".Length..]), $"{key}: {reference} does not resolve");
            }
        }
    }

    [Fact]
    public void Core_types_keep_the_core_package_even_when_reached_from_other_groups()
    {
        var schemas = V3("apis/storage.k8s.io/v1")["components"]!["schemas"]!.AsObject();

        Assert.Contains("io.k8s.api.core.v1.TopologySelectorTerm", schemas.Select(p => p.Key));
        Assert.Contains("io.k8s.api.storage.v1.StorageClass", schemas.Select(p => p.Key));
        Assert.DoesNotContain(schemas.Select(p => p.Key), k => k.StartsWith("io.k8s.api.storage.v1.Topology", StringComparison.Ordinal));
    }

    [Fact]
    public void V2_is_a_gnostic_document_with_field_validation_on_patch()
    {
        var document = Protobuf.Decode(Documents.V2);

        Assert.Equal("2.0", Protobuf.String(document, 1));
        Assert.Equal("Kubernetes", Protobuf.String(Protobuf.Message(document, 2), 1));
        var paths = Protobuf.Messages(Protobuf.Message(document, 8), 2);
        Assert.Equal(ResourceCatalog.All.Count, paths.Count);
        var statefulSets = paths.Single(p => Protobuf.String(p, 1) == "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}");
        var patch = Protobuf.Message(Protobuf.Message(statefulSets, 2), 8);
        var query = Protobuf.Message(Protobuf.Message(Protobuf.Message(Protobuf.Message(patch, 8), 1), 2), 3);
        Assert.Equal("fieldValidation", Protobuf.String(query, 4));
        Assert.Equal("query", Protobuf.String(query, 2));
        var extensions = Protobuf.Messages(patch, 13);
        var gvk = extensions.Single(e => Protobuf.String(e, 1) == "x-kubernetes-group-version-kind");
        Assert.Equal("group: \"apps\"\nkind: StatefulSet\nversion: v1\n", Protobuf.String(Protobuf.Message(gvk, 2), 2));
    }

    private static void Collect(JsonNode? node, List<string> refs)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref")
                    {
                        refs.Add(value!.GetValue<string>());
                    }
                    else
                    {
                        Collect(value, refs);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, refs);
                }

                break;
            default:
                break;
        }
    }
}
