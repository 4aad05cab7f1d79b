using Berth.Controllers.Endpoints;
using k8s.Models;
using static Berth.Controllers.Tests.Endpoints.EndpointModels;

namespace Berth.Controllers.Tests.Endpoints;

/// <summary>The pure part of both endpoint controllers: which pods go where, with what.</summary>
public sealed class EndpointAlgorithmTests
{
    [Fact]
    public void Ready_and_not_ready_pods_split_into_addresses_and_notReadyAddresses_with_identity()
    {
        var pods = new[] { Pod("web-1", "10.0.0.2", ready: false), Pod("web-0", "10.0.0.1"), Pod("other", "10.0.0.9", app: "x") };

        var subset = Assert.Single(EndpointsController.BuildSubsets(Service(), pods));

        var ready = Assert.Single(subset.Addresses);
        Assert.Equal(("10.0.0.1", "web-0", "berth"), (ready.Ip, ready.Hostname, ready.NodeName));
        Assert.Equal(("Pod", "default", "web-0", "uid-web-0"), (ready.TargetRef.Kind, ready.TargetRef.NamespaceProperty, ready.TargetRef.Name, ready.TargetRef.Uid));
        Assert.Equal("10.0.0.2", Assert.Single(subset.NotReadyAddresses).Ip);
        var port = Assert.Single(subset.Ports);
        Assert.Equal(("http", 80, "TCP"), (port.Name, port.Port, port.Protocol));
    }

    [Fact]
    public void The_hostname_is_set_only_when_the_pod_subdomain_is_the_service()
    {
        var subset = Assert.Single(EndpointsController.BuildSubsets(Service(), [Pod("web-0", "10.0.0.1", subdomain: "elsewhere")]));

        Assert.Null(Assert.Single(subset.Addresses).Hostname);
    }

    [Fact]
    public void A_named_target_port_resolves_per_pod_and_pods_without_it_are_left_out()
    {
        var service = Service(ports: new V1ServicePort { Name = "http", Port = 80, TargetPort = "web", Protocol = "TCP" });
        var pods = new[] { Pod("web-0", "10.0.0.1", namedPort: 8080), Pod("web-1", "10.0.0.2", namedPort: 9090), Pod("web-2", "10.0.0.3") };

        var subsets = EndpointsController.BuildSubsets(service, pods);
        var slices = EndpointSliceController.Desired(service, pods);

        Assert.Equal([8080, 9090], subsets.Select(s => Assert.Single(s.Ports).Port).Order());
        Assert.Equal(2, slices.Count(s => s.Ports.Count == 1));
        Assert.Equal("10.0.0.1", Assert.Single(slices.Single(s => s.Ports is [{ Port: 8080 }]).Endpoints).Addresses[0]);
        // upstream: a pod whose port cannot be found still gets a slice endpoint, with no ports.
        Assert.Equal("10.0.0.3", Assert.Single(slices.Single(s => s.Ports.Count == 0).Endpoints).Addresses[0]);
    }

    [Fact]
    public void PublishNotReadyAddresses_lists_every_pod_as_ready_terminating_ones_included()
    {
        var pods = new[] { Pod("web-0", "10.0.0.1", ready: false), Pod("web-1", "10.0.0.2", terminating: true) };

        var subset = Assert.Single(EndpointsController.BuildSubsets(Service(publishNotReady: true), pods));
        var slice = Assert.Single(EndpointSliceController.Desired(Service(publishNotReady: true), pods));

        Assert.Equal(["10.0.0.1", "10.0.0.2"], subset.Addresses.Select(a => a.Ip));
        Assert.Null(subset.NotReadyAddresses);
        Assert.All(slice.Endpoints, e => Assert.True(e.Conditions.Ready));
        Assert.Equal([false, true], slice.Endpoints.Select(e => e.Conditions.Terminating!.Value));
    }

    [Fact]
    public void Terminating_pods_leave_Endpoints_but_stay_in_slices_as_not_ready_and_terminating()
    {
        var pods = new[] { Pod("web-0", "10.0.0.1", terminating: true) };

        var subsets = EndpointsController.BuildSubsets(Service(), pods);
        var endpoint = Assert.Single(Assert.Single(EndpointSliceController.Desired(Service(), pods)).Endpoints);

        Assert.Empty(subsets);
        Assert.Equal((false, true, true), (endpoint.Conditions.Ready!.Value, endpoint.Conditions.Serving!.Value, endpoint.Conditions.Terminating!.Value));
    }

    [Fact]
    public void Pods_without_an_address_or_finished_are_left_out()
    {
        var pods = new[] { Pod("web-0", null), Pod("web-1", "10.0.0.2", phase: "Succeeded"), Pod("web-2", "10.0.0.3", phase: "Failed") };

        Assert.Empty(EndpointsController.BuildSubsets(Service(), pods));
        Assert.Empty(Assert.Single(EndpointSliceController.Desired(Service(), pods)).Endpoints);
    }

    [Fact]
    public void A_headless_service_without_ports_still_lists_addresses_and_a_portless_ClusterIP_one_does_not()
    {
        var headless = Service();
        headless.Spec.Ports = null;
        var clusterIp = Service(clusterIp: "10.96.0.5");
        clusterIp.Spec.Ports = null;
        var pods = new[] { Pod("web-0", "10.0.0.1") };

        var subset = Assert.Single(EndpointsController.BuildSubsets(headless, pods));

        Assert.Null(subset.Ports);
        Assert.Equal("10.0.0.1", Assert.Single(subset.Addresses).Ip);
        Assert.Empty(EndpointsController.BuildSubsets(clusterIp, pods));
    }

    [Fact]
    public void Slices_hold_at_most_100_endpoints_and_a_service_selecting_nothing_keeps_one_empty_placeholder()
    {
        var pods = Enumerable.Range(0, 250).Select(i => Pod($"web-{i}", $"10.0.{i / 200}.{i % 200 + 1}")).ToList();

        var slices = EndpointSliceController.Desired(Service(), pods);
        var placeholder = Assert.Single(EndpointSliceController.Desired(Service(), []));

        Assert.Equal([100, 100, 50], slices.Select(s => s.Endpoints.Count));
        Assert.Equal(250, slices.SelectMany(s => s.Endpoints).Select(e => e.Addresses[0]).Distinct().Count());
        Assert.Empty(placeholder.Endpoints);
        Assert.Empty(placeholder.Ports);
    }
}
