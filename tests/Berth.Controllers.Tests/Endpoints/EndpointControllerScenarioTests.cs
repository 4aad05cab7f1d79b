using Berth.Controllers.Simulation;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.Endpoints;

/// <summary>Both endpoint controllers in the full controller manager with the simulated node (fake API, fake clock).</summary>
public sealed class EndpointControllerScenarioTests
{
    private static List<V1EndpointSlice> Slices(TestCluster c, string service) =>
        [.. c.Api.All<V1EndpointSlice>("default").Where(s => s.Metadata.Labels is { } l && l.TryGetValue("kubernetes.io/service-name", out var n) && n == service)];

    private static string[] ReadyIps(TestCluster c, string service) =>
        [.. Slices(c, service).SelectMany(s => s.Endpoints ?? []).Where(e => e.Conditions?.Ready == true).Select(e => e.Addresses[0]).Order()];

    [Fact]
    public async Task A_StatefulSet_behind_a_headless_service_gets_Endpoints_and_a_labelled_owned_EndpointSlice()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Api.CreateAsync(EndpointModels.Service());
        await c.CreateAsync(TestSets.Web(replicas: 3, claims: false));
        await c.WaitReadyAsync("web", 3);
        await c.WaitAsync(() => ReadyIps(c, "web").Length == 3 && c.Get<V1Endpoints>("web")?.Subsets is [{ Addresses.Count: 3 }], "endpoints");

        var endpoints = c.Get<V1Endpoints>("web")!;
        var slice = Assert.Single(Slices(c, "web"));
        var podIps = c.Pods("web").Select(p => p.Status.PodIP).Order().ToArray();

        Assert.Equal(podIps, endpoints.Subsets[0].Addresses.Select(a => a.Ip).Order());
        Assert.Equal(["web-0", "web-1", "web-2"], endpoints.Subsets[0].Addresses.Select(a => a.Hostname).Order());
        Assert.Equal("", endpoints.Metadata.Labels["service.kubernetes.io/headless"]);
        Assert.Equal("a", endpoints.Metadata.Labels["team"]);
        Assert.StartsWith("web-", slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("", slice.Metadata.Labels["service.kubernetes.io/headless"]);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", true), (owner.Kind, owner.Name, owner.Controller));
        Assert.Equal(podIps, ReadyIps(c, "web"));
        Assert.All(slice.Endpoints, e => Assert.Equal(("berth", "Pod"), (e.NodeName, e.TargetRef.Kind)));
        Assert.Equal(("http", 80), (slice.Ports[0].Name, slice.Ports[0].Port));
    }

    [Fact]
    public async Task A_pod_that_turns_not_ready_moves_to_notReadyAddresses_and_back()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Api.CreateAsync(EndpointModels.Service());
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);
        await c.WaitAsync(() => ReadyIps(c, "web").Length == 2, "two ready endpoints");
        var web1 = c.Get<V1Pod>("web-1")!.Status.PodIP;

        await c.AnnotatePodAsync("web-1", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.WaitAsync(() => c.Get<V1Endpoints>("web")?.Subsets is [{ NotReadyAddresses: [var a] }] && a.Ip == web1
            && !ReadyIps(c, "web").Contains(web1), "web-1 not ready");
        var notReady = Slices(c, "web").SelectMany(s => s.Endpoints).Single(e => e.Addresses[0] == web1);
        await c.AnnotatePodAsync("web-1", SimulatedNode.SimulateReadyAnnotation, null);
        await c.WaitAsync(() => ReadyIps(c, "web").Contains(web1) && c.Get<V1Endpoints>("web")!.Subsets[0].NotReadyAddresses is null, "web-1 ready again");

        Assert.Equal((false, false), (notReady.Conditions.Ready!.Value, notReady.Conditions.Serving!.Value));
    }

    [Fact]
    public async Task A_service_selecting_nothing_has_empty_endpoints_and_its_objects_go_with_it()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Api.CreateAsync(EndpointModels.Service("lonely"));
        await c.WaitAsync(() => c.Get<V1Endpoints>("lonely") is not null && Slices(c, "lonely").Count == 1, "endpoints objects");

        Assert.Empty(c.Get<V1Endpoints>("lonely")!.Subsets ?? []);
        Assert.Empty(Assert.Single(Slices(c, "lonely")).Endpoints ?? []);

        await c.Api.DeleteAsync<V1Service>("default", "lonely");
        await c.WaitAsync(() => c.Get<V1Endpoints>("lonely") is null && Slices(c, "lonely").Count == 0, "endpoints objects removed");
    }

    [Fact]
    public async Task A_service_without_a_selector_keeps_the_endpoints_its_user_wrote()
    {
        await using var c = await TestCluster.StartAsync();
        var service = EndpointModels.Service("manual", clusterIp: "10.96.0.9");
        service.Spec.Selector = null;
        await c.Api.CreateAsync(service);
        await c.Api.CreateAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "manual", NamespaceProperty = "default" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.1" }] }],
        });
        await c.SettleAsync(TimeSpan.FromSeconds(2));

        Assert.Equal("192.0.2.1", c.Get<V1Endpoints>("manual")!.Subsets[0].Addresses[0].Ip);
        Assert.Empty(Slices(c, "manual"));
    }

    [Fact]
    public async Task A_settled_service_is_not_rewritten()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Api.CreateAsync(EndpointModels.Service());
        await c.CreateAsync(TestSets.Web(replicas: 2, claims: false));
        await c.WaitReadyAsync("web", 2);
        await c.WaitAsync(() => ReadyIps(c, "web").Length == 2 && c.Get<V1Endpoints>("web")?.Subsets is [{ Addresses.Count: 2 }], "endpoints");
        await c.SettleAsync(TimeSpan.FromSeconds(1));
        c.Api.ClearActions();

        await c.SettleAsync(TimeSpan.FromSeconds(5));

        Assert.DoesNotContain(c.Api.Actions, a => a.Resource is "endpoints" or "endpointslices" && a.Verb != "get" && a.Verb != "list");
        Assert.Single(Slices(c, "web"));
    }
}
