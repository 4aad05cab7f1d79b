using System.Text.Json.Nodes;
using Berth.ApiServer.Client;
using Berth.ApiServer.Tests.Http;
using Berth.Core;
using k8s.Models;
using ClientApiException = Berth.Controllers.Client.ApiException;

namespace Berth.ApiServer.Tests.Client;

/// <summary>The in-process client's status writes send only what a status write reads (<see cref="StatusWrite"/>).</summary>
public sealed class StatusWriteTests : IClassFixture<InProcessServer>
{
    private readonly InProcessServer _s;

    public StatusWriteTests(InProcessServer server) => _s = server;

    [Fact]
    public void The_body_holds_type_meta_the_identifying_metadata_and_the_status_only()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", ResourceVersion = "42", Uid = "u", Labels = new Dictionary<string, string> { ["a"] = "b" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx" }] },
            Status = new V1PodStatus { Phase = "Running" },
        };

        var body = StatusWrite.Encode(ResourceCatalog.Find("", "v1", "pods")!, pod);

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","resourceVersion":"42"},"status":{"phase":"Running"}}"""),
            body), body.ToJsonString());
    }

    [Fact]
    public async Task An_in_process_status_write_stores_what_a_full_body_status_put_stores()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var name in (string[])["sw-http", "sw-inproc", "sw-write"])
        {
            var pod = $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
            Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod, userAgent: "kubectl/v1.33.1")).Code);
        }

        var client = InProcessApiClient.For(_s.Server, "kubelet");
        var status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = "10.244.0.9",
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) }],
        };

        // Over HTTP, the whole object as a kubelet sends it (with a spec and labels the write must ignore).
        var viaHttp = (await client.GetAsync<V1Pod>("default", "sw-http", ct))!;
        viaHttp.Status = status;
        viaHttp.Metadata.Labels["app"] = "ignored";
        var put = await _s.SendAsync("PUT", "/api/v1/namespaces/default/pods/sw-http/status", k8s.KubernetesJson.Serialize(viaHttp),
            userAgent: "kubelet/v1.33.1");
        Assert.Equal(200, put.Code);

        var inProcess = (await client.GetAsync<V1Pod>("default", "sw-inproc", ct))!;
        inProcess.Status = status;
        inProcess.Metadata.Labels["app"] = "ignored";
        inProcess.Spec.Containers[0].Image = "ignored";
        var returned = await client.UpdateStatusAsync(inProcess, ct);

        var expected = Comparable(put.Json);
        var actual = Comparable((await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/sw-inproc")).Json);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n  actual {actual.ToJsonString()}");
        Assert.Equal("Running", returned.Status.Phase);
        Assert.Equal("nginx", returned.Spec.Containers[0].Image);

        // The write that does not read the result back stores the same.
        var written = (await client.GetAsync<V1Pod>("default", "sw-write", ct))!;
        written.Status = status;
        written.Spec.Containers[0].Image = "ignored";
        await ((Berth.Controllers.Client.IApiClient)client).WriteStatusAsync(written, ct);
        var stored = Comparable((await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/sw-write")).Json);
        Assert.True(JsonNode.DeepEquals(expected, stored), $"expected {expected.ToJsonString()}\n  actual {stored.ToJsonString()}");
    }

    [Fact]
    public async Task An_in_process_status_write_from_a_stale_copy_is_a_conflict()
    {
        var ct = TestContext.Current.CancellationToken;
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sw-stale"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
        Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod)).Code);
        var client = InProcessApiClient.For(_s.Server, "kubelet");
        var stale = (await client.GetAsync<V1Pod>("default", "sw-stale", ct))!;
        var fresh = (await client.GetAsync<V1Pod>("default", "sw-stale", ct))!;
        fresh.Status.Phase = "Running";
        await client.UpdateStatusAsync(fresh, ct);

        stale.Status.Phase = "Failed";
        var e = await Assert.ThrowsAsync<ClientApiException>(() => client.UpdateStatusAsync(stale, ct));

        Assert.True(e.IsConflict, e.Message);
    }

    /// <summary>The object without what differs between two pods of different names (and the seconds of managedFields' times).</summary>
    private static JsonObject Comparable(JsonObject stored)
    {
        var copy = stored.DeepClone().AsObject();
        var meta = copy["metadata"]!.AsObject();
        foreach (var field in (string[])["name", "uid", "creationTimestamp", "resourceVersion"])
        {
            meta.Remove(field);
        }

        foreach (var entry in meta["managedFields"]!.AsArray())
        {
            entry!.AsObject().Remove("time");
        }

        return copy;
    }
}
