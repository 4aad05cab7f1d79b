namespace Berth.Core.Tests;

public sealed class ResourceCatalogTests
{
    [Fact]
    public void Statefulsets_are_found_by_url_parts_and_by_kind()
    {
        var byUrl = ResourceCatalog.Find("apps", "v1", "statefulsets");
        var byKind = ResourceCatalog.FindByKind("apps/v1", "StatefulSet");

        Assert.NotNull(byUrl);
        Assert.Same(byUrl, byKind);
        Assert.Equal("statefulsets.apps", byUrl.QualifiedResource);
        Assert.Equal("/registry/statefulsets/default/web", byUrl.Key("default", "web"));
        Assert.Contains("sts", byUrl.ShortNames);
    }

    [Fact]
    public void Cluster_scoped_keys_have_no_namespace()
    {
        var pv = ResourceCatalog.Find("", "v1", "persistentvolumes")!;

        Assert.False(pv.Namespaced);
        Assert.Equal("/registry/persistentvolumes/pv-1", pv.Key(null, "pv-1"));
    }

    [Fact]
    public void Every_kind_and_plural_is_unique()
    {
        Assert.Equal(ResourceCatalog.All.Count, ResourceCatalog.All.Select(r => r.ApiVersion + "/" + r.Kind).Distinct().Count());
        Assert.Equal(ResourceCatalog.All.Count, ResourceCatalog.All.Select(r => r.QualifiedResource).Distinct().Count());
    }
}
