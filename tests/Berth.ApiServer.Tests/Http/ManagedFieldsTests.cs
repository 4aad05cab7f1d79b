using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests.Http;

/// <summary>Every create, update and patch records metadata.managedFields as upstream's handlers do.</summary>
public sealed class ManagedFieldsTests : IClassFixture<InProcessServer>
{
    private const string KubectlAgent = "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0";

    private readonly InProcessServer _s;

    public ManagedFieldsTests(InProcessServer server) => _s = server;

    private static JsonArray Entries(JsonObject obj) => obj["metadata"]!["managedFields"]!.AsArray();

    private static void JsonEqual(string expected, JsonNode? actual)
    {
        var e = JsonNode.Parse(expected.Replace('\'', '"'));
        Assert.True(JsonNode.DeepEquals(e, actual), $"expected {e?.ToJsonString()}\n  actual {actual?.ToJsonString()}");
    }

    [Fact]
    public async Task A_create_is_recorded_for_the_user_agent_with_the_defaults_but_not_what_admission_adds()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mf-run","labels":{"run":"mf-run"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";

        var created = await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod, userAgent: KubectlAgent);

        Assert.Equal(201, created.Code);
        var entry = Entries(created.Json).Single()!;
        Assert.Equal("kubectl", (string?)entry["manager"]);
        Assert.Equal("Update", (string?)entry["operation"]);
        Assert.Equal("v1", (string?)entry["apiVersion"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)entry["time"]);
        var fields = entry["fieldsV1"]!;
        JsonEqual("{'.':{},'f:run':{}}", fields["f:metadata"]!["f:labels"]);
        Assert.NotNull(fields["f:spec"]!["f:dnsPolicy"]);
        Assert.NotNull(fields["f:spec"]!["f:containers"]!["k:{\"name\":\"c\"}"]!["f:imagePullPolicy"]);
        Assert.Null(fields["f:spec"]!["f:serviceAccountName"]);
        Assert.Null(fields["f:spec"]!["f:tolerations"]);
        Assert.Null(fields["f:status"]);
        Assert.Null(fields["f:metadata"]!["f:name"]);
    }

    [Fact]
    public async Task The_field_manager_parameter_wins_over_the_user_agent_and_updates_take_fields_from_other_managers()
    {
        var cm = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mf-cm"},"data":{"a":"1","b":"2"}}""";
        await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create", cm, userAgent: KubectlAgent);

        var patched = await _s.SendAsync("PATCH", "/api/v1/namespaces/default/configmaps/mf-cm", """{"data":{"b":"3"}}""",
            "application/merge-patch+json", userAgent: KubectlAgent);

        Assert.Equal(200, patched.Code);
        var entries = Entries(patched.Json).ToDictionary(e => (string)e!["manager"]!, e => e!["fieldsV1"]);
        Assert.Equal(["kubectl", "kubectl-create"], entries.Keys.Order(StringComparer.Ordinal));
        JsonEqual("{'f:data':{'.':{},'f:a':{}}}", entries["kubectl-create"]);
        JsonEqual("{'f:data':{'f:b':{}}}", entries["kubectl"]);
    }

    [Fact]
    public async Task Server_side_apply_records_only_its_apply_entry_and_a_scale_conflicts_with_the_next_one()
    {
        var sts = """
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mf-web"},
             "spec":{"replicas":2,"serviceName":"mf-web","selector":{"matchLabels":{"app":"mf-web"}},
              "template":{"metadata":{"labels":{"app":"mf-web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}
            """;
        var path = "/apis/apps/v1/namespaces/default/statefulsets/mf-web";

        var applied = await _s.SendAsync("PATCH", path + "?fieldManager=kubectl", sts, "application/apply-patch+yaml", userAgent: KubectlAgent);
        var scaled = await _s.SendAsync("PATCH", path + "/scale", """{"spec":{"replicas":4}}""", "application/merge-patch+json",
            userAgent: KubectlAgent);
        var reapplied = await _s.SendAsync("PATCH", path + "?fieldManager=kubectl", sts, "application/apply-patch+yaml", userAgent: KubectlAgent);

        Assert.Equal(201, applied.Code);
        Assert.Equal(["Apply"], Entries(applied.Json).Select(e => (string?)e!["operation"]));
        Assert.Equal(200, scaled.Code);
        Assert.Equal(409, reapplied.Code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas",
            reapplied.Message);
        var stored = (await _s.SendAsync("GET", path)).Json;
        var scaleEntry = Entries(stored).Single(e => (string?)e!["subresource"] == "scale")!;
        Assert.Equal("kubectl", (string?)scaleEntry["manager"]);
    }

    [Fact]
    public async Task A_status_write_is_recorded_under_the_status_subresource()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mf-status"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
        var created = (await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod, userAgent: "kubelet/v1.33.1")).Json;
        created["status"]!["phase"] = "Running";

        var updated = await _s.SendAsync("PUT", "/api/v1/namespaces/default/pods/mf-status/status", created.ToJsonString(),
            userAgent: "kubelet/v1.33.1");

        Assert.Equal(200, updated.Code);
        var statusEntry = Entries(updated.Json).Single(e => (string?)e!["subresource"] == "status")!;
        Assert.Equal("kubelet", (string?)statusEntry["manager"]);
        JsonEqual("{'f:status':{'f:phase':{}}}", statusEntry["fieldsV1"]);
    }

    [Fact]
    public async Task A_status_write_leaves_the_creators_entry_as_it_was_and_a_spec_write_that_takes_a_field_rewrites_it()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mf-keep","labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
        var created = (await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod, userAgent: KubectlAgent)).Json;
        var creatorEntry = Entries(created).Single()!.ToJsonString();
        created["status"]!["phase"] = "Running";

        var statusWritten = (await _s.SendAsync("PUT", "/api/v1/namespaces/default/pods/mf-keep/status", created.ToJsonString(),
            userAgent: "kubelet/v1.33.1")).Json;
        var labelled = await _s.SendAsync("PATCH", "/api/v1/namespaces/default/pods/mf-keep", """{"metadata":{"labels":{"a":"2"}}}""",
            "application/merge-patch+json", userAgent: "labeller/v1");

        Assert.Equal(creatorEntry, Entries(statusWritten).Single(e => (string?)e!["manager"] == "kubectl")!.ToJsonString());
        var creatorAfter = Entries(labelled.Json).Single(e => (string?)e!["manager"] == "kubectl")!;
        Assert.Null(creatorAfter["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:a"]);
        JsonEqual("{'f:metadata':{'f:labels':{'f:a':{}}}}", Entries(labelled.Json).Single(e => (string?)e!["manager"] == "labeller")!["fieldsV1"]);
        JsonEqual("{'f:status':{'f:phase':{}}}", Entries(labelled.Json).Single(e => (string?)e!["manager"] == "kubelet")!["fieldsV1"]);
    }

    [Fact]
    public async Task The_in_process_client_leaves_managed_fields_out_of_its_copies_and_its_writes_keep_the_stored_ones()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mf-inproc"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
        await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod, userAgent: KubectlAgent);
        var client = Berth.ApiServer.Client.InProcessApiClient.For(_s.Server, "controller");

        var copy = (await client.GetAsync<k8s.Models.V1Pod>("default", "mf-inproc", TestContext.Current.CancellationToken))!;
        copy.Metadata.Labels = new Dictionary<string, string> { ["added"] = "yes" };
        var updated = await client.UpdateAsync(copy, TestContext.Current.CancellationToken);
        var stored = (await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/mf-inproc")).Json;

        Assert.Null(copy.Metadata.ManagedFields);
        Assert.Null(updated.Metadata.ManagedFields);
        Assert.Equal(["controller", "kubectl"], Entries(stored).Select(e => (string)e!["manager"]!).Order(StringComparer.Ordinal));
    }
}
