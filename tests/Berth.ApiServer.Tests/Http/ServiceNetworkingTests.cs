using System.Net;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Storage.Memory;

namespace Berth.ApiServer.Tests.Http;

/// <summary>Service cluster IP allocation and the discovery.k8s.io/v1 EndpointSlice resource over real HTTPS.</summary>
public sealed class ServiceNetworkingTests : IClassFixture<InProcessServer>
{
    private const string Services = "/api/v1/namespaces/default/services";
    private const string Slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    private readonly InProcessServer _s;

    public ServiceNetworkingTests(InProcessServer server) => _s = server;

    private static string Service(string name, string? clusterIp = null, string type = "ClusterIP") =>
        new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["type"] = type,
                ["selector"] = new JsonObject { ["app"] = name },
                ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["name"] = "http" }),
                ["clusterIP"] = clusterIp,
                ["externalName"] = type == "ExternalName" ? "example.com" : null,
            },
        }.ToJsonString();

    private static bool InServiceCidr(string? ip) =>
        IPAddress.TryParse(ip, out var a) && a.GetAddressBytes() is [10, 96, _, _] && ip != "10.96.0.0" && ip != "10.96.255.255";

    [Fact]
    public async Task A_service_gets_a_cluster_IP_from_the_service_CIDR_and_a_headless_one_keeps_None()
    {
        var plain = await _s.SendAsync("POST", Services, Service("alloc-plain"));
        var headless = await _s.SendAsync("POST", Services, Service("alloc-headless", "None"));
        var table = await _s.SendAsync("GET", Services + "/alloc-headless", accept: TableAccept);

        Assert.Equal(201, plain.Code);
        var ip = (string?)plain.Json["spec"]!["clusterIP"];
        Assert.True(InServiceCidr(ip), ip);
        Assert.Equal([ip], plain.Json["spec"]!["clusterIPs"]!.AsArray().Select(i => (string?)i));
        Assert.Equal("None", (string?)headless.Json["spec"]!["clusterIP"]);
        Assert.Equal("None", (string?)table.Json["rows"]![0]!["cells"]![2]);
    }

    [Fact]
    public async Task A_requested_cluster_IP_is_reserved_refused_when_taken_or_out_of_range_and_freed_on_delete()
    {
        var first = await _s.SendAsync("POST", Services, Service("req-a", "10.96.0.10"));
        var taken = await _s.SendAsync("POST", Services, Service("req-b", "10.96.0.10"));
        var foreign = await _s.SendAsync("POST", Services, Service("req-c", "1.1.1.1"));
        var network = await _s.SendAsync("POST", Services, Service("req-d", "10.96.0.0"));
        await _s.SendAsync("DELETE", Services + "/req-a");
        var reused = await _s.SendAsync("POST", Services, Service("req-b", "10.96.0.10"));

        Assert.Equal(201, first.Code);
        Assert.Equal("10.96.0.10", (string?)first.Json["spec"]!["clusterIP"]);
        Assert.Equal((422, "Invalid"), (taken.Code, taken.Reason));
        Assert.Equal("Service \"req-b\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: "
            + "failed to allocate IP 10.96.0.10: provided IP is already allocated", taken.Message);
        Assert.Equal("Service \"req-c\" is invalid: spec.clusterIPs: Invalid value: []string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: "
            + "the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16", foreign.Message);
        Assert.Equal(422, network.Code);
        Assert.Equal(201, reused.Code);
    }

    [Fact]
    public async Task Concurrent_creates_never_share_an_address()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _s.SendAsync("POST", Services, Service($"race-{i}"))));

        Assert.All(responses, r => Assert.Equal(201, r.Code));
        var ips = responses.Select(r => (string?)r.Json["spec"]!["clusterIP"]).ToList();
        Assert.All(ips, ip => Assert.True(InServiceCidr(ip), ip));
        Assert.Equal(ips.Count, ips.Distinct().Count());
    }

    [Fact]
    public async Task An_update_that_leaves_out_the_cluster_IP_keeps_it_and_ExternalName_gives_it_back()
    {
        var created = (await _s.SendAsync("POST", Services, Service("upd", "10.96.0.20"))).Json;
        var put = JsonNode.Parse(Service("upd"))!.AsObject();
        put["metadata"]!["resourceVersion"] = (string?)created["metadata"]!["resourceVersion"];
        var replaced = await _s.SendAsync("PUT", Services + "/upd", put.ToJsonString());
        var external = await _s.SendAsync("PATCH", Services + "/upd",
            """{"spec":{"type":"ExternalName","externalName":"example.com"}}""", "application/merge-patch+json");
        var reuse = await _s.SendAsync("POST", Services, Service("upd-2", "10.96.0.20"));

        Assert.Equal(200, replaced.Code);
        Assert.Equal("10.96.0.20", (string?)replaced.Json["spec"]!["clusterIP"]);
        Assert.Equal(200, external.Code);
        Assert.Null(external.Json["spec"]!["clusterIP"]);
        Assert.Equal(201, reuse.Code);
    }

    [Fact]
    public async Task Used_addresses_are_derived_from_stored_services_after_a_restart()
    {
        var store = new MemoryStore();
        var services = ResourceCatalog.Find("", "v1", "services")!;
        var before = new ObjectRegistry(store, TimeProvider.System, false);
        await before.EnsureSystemNamespacesAsync(CancellationToken.None);
        await before.CreateAsync(services, "default", JsonNode.Parse(Service("kept", "10.96.0.30"))!.AsObject(), new WriteOptions(),
            CancellationToken.None);

        var after = new ObjectRegistry(store, TimeProvider.System, false);
        var error = await Assert.ThrowsAsync<Berth.ApiServer.Http.ApiException>(async () => await after.CreateAsync(services, "default",
            JsonNode.Parse(Service("again", "10.96.0.30"))!.AsObject(), new WriteOptions(), CancellationToken.None));

        Assert.Contains("provided IP is already allocated", error.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndpointSlices_are_served_defaulted_validated_and_printed_with_upstream_columns()
    {
        const string Slice = """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-abc","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","ports":[{"name":"http","port":80},{"name":"metrics","port":9090},{"name":"a","port":1},{"name":"b","port":2}],
             "endpoints":[{"addresses":["10.88.0.3"],"conditions":{"ready":true},"hostname":"web-0"},{"addresses":["10.88.0.4"]}]}
            """;
        var created = await _s.SendAsync("POST", Slices, Slice);
        var table = await _s.SendAsync("GET", Slices + "/web-abc", accept: TableAccept);
        var invalid = await _s.SendAsync("POST", Slices,
            """{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"bad"},"endpoints":[{"addresses":["nope"]}]}""");
        var wrongType = await _s.SendAsync("POST", Slices,
            """{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"bad"},"addressType":"IPv4","endpoints":[{"addresses":["nope"]}]}""");
        var discovery = await _s.SendAsync("GET", "/apis/discovery.k8s.io/v1");

        Assert.Equal(201, created.Code);
        Assert.Equal("TCP", (string?)created.Json["ports"]![0]!["protocol"]);
        Assert.Equal(["Name", "AddressType", "Ports", "Endpoints", "Age"],
            table.Json["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!).ToArray());
        var cells = table.Json["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal(("web-abc", "IPv4", "80,9090,1 + 1 more...", "10.88.0.3,10.88.0.4"),
            ((string?)cells[0], (string?)cells[1], (string?)cells[2], (string?)cells[3]));
        Assert.Equal(422, invalid.Code);
        Assert.Contains("addressType: Required value", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("endpoints[0].addresses[0]: Invalid value: \"nope\": must be a valid IPv4 address", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains(discovery.Json["resources"]!.AsArray(), r => (string?)r!["name"] == "endpointslices" && (bool)r["namespaced"]!);
    }
}
