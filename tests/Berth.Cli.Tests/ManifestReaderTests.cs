using Berth.Cli.Up;
using Berth.Serialization;

namespace Berth.Cli.Tests;

public sealed class ManifestReaderTests
{
    private static Manifest Parse(string yaml, string ns = "default") => ManifestReader.Parse(YamlToJson.ConvertSingle(yaml), "test.yaml", ns);

    [Fact]
    public void A_namespaced_object_gets_the_default_namespace_and_its_rest_path()
    {
        var m = Parse("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n", ns: "shop");

        Assert.Equal("statefulset.apps/web", m.DisplayName);
        Assert.Equal("apis/apps/v1/namespaces/shop/statefulsets/web", m.Path);
        Assert.Equal("shop", m.Object["metadata"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public void Cluster_scoped_objects_have_no_namespace_in_their_path()
    {
        var m = Parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: catalog}\n");

        Assert.Equal("namespace/catalog", m.DisplayName);
        Assert.Equal("api/v1/namespaces/catalog", m.Path);
    }

    [Fact]
    public void Missing_type_fields_and_unknown_kinds_are_reported_as_kubectl_does()
    {
        var untyped = Assert.Throws<ManifestException>(() => Parse("metadata: {name: x}\n"));
        var unknown = Assert.Throws<ManifestException>(() => Parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"));

        Assert.Equal("error validating \"test.yaml\": error validating data: [apiVersion not set, kind not set]", untyped.Message);
        Assert.StartsWith("resource mapping not found for name: \"api\" namespace: \"\" from \"test.yaml\": no matches for kind \"Deployment\" in version \"apps/v1\"",
            unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_directories_and_lists_are_read_in_order_with_namespaces_first()
    {
        var dir = Directory.CreateTempSubdirectory("berth-manifests-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "a.yaml"),
                "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: one, namespace: shop}}\n"
                + "- {apiVersion: v1, kind: ConfigMap, metadata: {name: two, namespace: shop}}\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "b.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "notes.md"), "not a manifest");

            var manifests = await ManifestReader.ReadAsync([dir], [], "default", CancellationToken.None);

            Assert.Equal(["namespace/shop", "configmap/one", "configmap/two"], manifests.Select(m => m.DisplayName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_path_is_an_error_naming_it()
    {
        var e = await Assert.ThrowsAsync<ManifestException>(() => ManifestReader.ReadAsync(["/nonexistent/web.yaml"], [], "default", CancellationToken.None));

        Assert.Equal("the path \"/nonexistent/web.yaml\" does not exist", e.Message);
    }
}
