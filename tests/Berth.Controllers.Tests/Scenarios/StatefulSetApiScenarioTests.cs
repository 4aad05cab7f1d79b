using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>
/// The upstream conformance cases that exercise the API around a StatefulSet (test/e2e/apps/statefulset.go: the
/// scale subresource; list, patch and delete of a collection; the status endpoints), over HTTP against a real
/// in-process server whose controllers and simulated node run the sets.
/// </summary>
public sealed class StatefulSetApiScenarioTests
{
    private const string Sets = "/apis/apps/v1/namespaces/default/statefulsets";

    private static async Task<JsonObject> SendAsync(HttpClient http, string method, string path, string? body = null,
        string contentType = "application/json", HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expect, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Should_have_a_working_scale_subresource()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        using var http = c.CreateHttpClient();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);

        var scale = await SendAsync(http, "GET", Sets + "/web/scale");
        Assert.Equal(("Scale", "autoscaling/v1", 1), ((string?)scale["kind"], (string?)scale["apiVersion"], (int?)scale["spec"]!["replicas"]));
        Assert.Equal("app=web", (string?)scale["status"]!["selector"]);

        scale["spec"]!["replicas"] = 2;
        await SendAsync(http, "PUT", Sets + "/web/scale", scale.ToJsonString());
        await c.WaitReadyAsync("web", 2);
        Assert.Equal(2, c.Set().Spec.Replicas);

        await SendAsync(http, "PATCH", Sets + "/web/scale", """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        await c.WaitReadyAsync("web", 4);
        Assert.Equal(["web-0", "web-1", "web-2", "web-3"], c.PodNames("web"));
        Assert.Equal(4, (int?)(await SendAsync(http, "GET", Sets + "/web/scale"))["status"]!["replicas"]);
    }

    [Fact]
    public async Task Should_list_patch_and_delete_a_collection_of_StatefulSets()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        using var http = c.CreateHttpClient();
        var set = TestSets.Web(name: "ss", replicas: 1, claims: false);
        set.Metadata.Labels = new Dictionary<string, string> { ["e2e"] = "testing" };
        await c.CreateAsync(set);
        await c.WaitReadyAsync("ss", 1);

        var listed = await SendAsync(http, "GET", Sets + "?labelSelector=e2e%3Dtesting");
        Assert.Equal("ss", (string?)Assert.Single(listed["items"]!.AsArray())!["metadata"]!["name"]);

        await SendAsync(http, "PATCH", Sets + "/ss",
            """{"metadata":{"labels":{"e2e":"patched"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}""",
            "application/strategic-merge-patch+json");
        await c.WaitAsync(() => c.AllReady("ss", 2) && c.Pods("ss").All(p => p.Spec.Containers[0].Image == "nginx:1.28")
            && c.Set("ss").Status.CurrentRevision == c.Set("ss").Status.UpdateRevision, "patched set rolled out");
        Assert.Empty((await SendAsync(http, "GET", Sets + "?labelSelector=e2e%3Dtesting"))["items"]!.AsArray());
        Assert.Single((await SendAsync(http, "GET", Sets + "?labelSelector=e2e%3Dpatched"))["items"]!.AsArray());

        await SendAsync(http, "DELETE", Sets + "?labelSelector=e2e%3Dpatched", """{"propagationPolicy":"Background"}""");
        await c.WaitAsync(() => c.Get<V1StatefulSet>("ss") is null && c.Pods("ss").Count == 0, "collection deleted, pods collected");
        Assert.Empty((await SendAsync(http, "GET", Sets))["items"]!.AsArray());
    }

    [Fact]
    public async Task Should_validate_StatefulSet_status_endpoints()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        using var http = c.CreateHttpClient();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);

        var status = await SendAsync(http, "GET", Sets + "/web/status");
        Assert.Equal(1, (int?)status["status"]!["readyReplicas"]);

        // UpdateStatus adds a condition; the controller keeps it (it never sets conditions itself).
        var conditions = status["status"]!["conditions"] as JsonArray ?? [];
        conditions.Add(new JsonObject { ["type"] = "StatusUpdate", ["status"] = "True", ["reason"] = "E2E", ["message"] = "Set from e2e test" });
        status["status"]!["conditions"] = conditions;
        var updated = await SendAsync(http, "PUT", Sets + "/web/status", status.ToJsonString());
        Assert.Contains(updated["status"]!["conditions"]!.AsArray(), x => (string?)x!["type"] == "StatusUpdate");
        // A status write never changes the spec (and a spec write never the status).
        Assert.Equal(1, (int?)updated["spec"]!["replicas"]);

        await SendAsync(http, "PATCH", Sets + "/web/status",
            """{"status":{"conditions":[{"type":"StatusPatched","status":"True"}]}}""", "application/merge-patch+json");
        await c.SettleAsync(TimeSpan.FromSeconds(2));
        var set = c.Set();
        Assert.Contains(set.Status.Conditions, x => x.Type == "StatusPatched");
        Assert.Equal(1, set.Status.ReadyReplicas);
    }

    [Fact]
    public async Task Canary_with_partition_1_recreates_a_deleted_pod_0_at_the_old_revision()
    {
        await using var c = await TestCluster.StartOnServerAsync();
        var manifest = TestSets.Web(replicas: 3, claims: false);
        manifest.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = 1 } };
        await c.CreateAsync(manifest);
        await c.WaitReadyAsync("web", 3);
        var old = c.Set().Status.CurrentRevision;

        await c.UpdateSetAsync("web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28");
        await c.WaitAsync(() => c.Set().Status.UpdateRevision != old && c.Set().Status.UpdatedReplicas == 2 && c.AllReady("web", 3), "pods 1 and 2 updated");
        var updated = c.Set().Status.UpdateRevision;
        Assert.Equal([old, updated, updated], c.Pods("web").Select(p => p.Metadata.Labels["controller-revision-hash"]));

        var uid = c.Get<V1Pod>("web-0")!.Metadata.Uid;
        await c.DeletePodAsync("web-0");
        await c.WaitAsync(() => c.Get<V1Pod>("web-0") is { } p && p.Metadata.Uid != uid && c.AllReady("web", 3), "web-0 recreated");
        Assert.Equal(old, c.Get<V1Pod>("web-0")!.Metadata.Labels["controller-revision-hash"]);
        Assert.Equal("nginx:1.27", c.Get<V1Pod>("web-0")!.Spec.Containers[0].Image);
        Assert.Equal(old, c.Set().Status.CurrentRevision);
    }
}
