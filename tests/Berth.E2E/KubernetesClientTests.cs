using k8s;
using k8s.Models;

namespace Berth.E2E;

/// <summary>The official .NET KubernetesClient as a second real client against berth serve.</summary>
public sealed class KubernetesClientTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public KubernetesClientTests(ServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Create_list_watch_and_patch_work_through_the_dotnet_client()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(_fixture.Server.Kubeconfig);
        using var client = new Kubernetes(config);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "dotnet" } },
            cancellationToken: TestContext.Current.CancellationToken);

        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "one", Labels = new Dictionary<string, string> { ["app"] = "x" } }, Data = new Dictionary<string, string> { ["k"] = "v" } },
            "dotnet", cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));

        var list = await client.CoreV1.ListNamespacedConfigMapAsync("dotnet", labelSelector: "app=x", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["one"], list.Items.Select(i => i.Metadata.Name));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(TimeSpan.FromSeconds(20));
        var events = new List<(WatchEventType, string)>();
        var watch = Task.Run(async () =>
        {
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("dotnet",
                resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cancel.Token))
            {
                events.Add((type, item.Metadata.Name + "=" + item.Data["k"]));
                if (events.Count == 2)
                {
                    return;
                }
            }
        }, cancel.Token);

        await Task.Delay(500, TestContext.Current.CancellationToken);
        await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "two" }, Data = new Dictionary<string, string> { ["k"] = "2" } },
            "dotnet", cancellationToken: TestContext.Current.CancellationToken);
        var patched = await client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"data":{"k":"patched"}}""", V1Patch.PatchType.MergePatch), "one", "dotnet",
            cancellationToken: TestContext.Current.CancellationToken);
        await watch;

        Assert.Equal("patched", patched.Data["k"]);
        Assert.Equal([(WatchEventType.Added, "two=2"), (WatchEventType.Modified, "one=patched")], events);
    }
}
