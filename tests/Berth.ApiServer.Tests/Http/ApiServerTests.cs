using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests.Http;

/// <summary>The REST surface over real HTTPS against an in-process server: statuses, messages, semantics.</summary>
public sealed class ApiServerTests : IClassFixture<InProcessServer>
{
    private readonly InProcessServer _s;

    public ApiServerTests(InProcessServer server) => _s = server;

    private static string ConfigMap(string name, string extra = "") =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"{{{extra}}}},"data":{"k":"v"}}""";

    private static string StatefulSet(string name, int replicas = 1, string image = "nginx") =>
        """
        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"NAME"},
         "spec":{"replicas":REPLICAS,"serviceName":"NAME","selector":{"matchLabels":{"app":"NAME"}},
          "template":{"metadata":{"labels":{"app":"NAME"}},"spec":{"containers":[{"name":"c","image":"IMAGE"}]}}}}
        """.Replace("NAME", name, StringComparison.Ordinal).Replace("REPLICAS", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
            StringComparison.Ordinal).Replace("IMAGE", image, StringComparison.Ordinal);

    [Fact]
    public async Task Requests_without_the_token_get_a_401_Status_but_health_and_version_are_open()
    {
        using var anonymous = _s.CreateClient(token: null);
        using var wrong = _s.CreateClient(token: "not-the-token");

        var denied = await anonymous.GetAsync("/api/v1/namespaces");
        var deniedWrong = await wrong.GetAsync("/api/v1/namespaces");

        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, deniedWrong.StatusCode);
        var status = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("Unauthorized", (string?)status["reason"]);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/livez")).StatusCode);
        var version = JsonNode.Parse(await anonymous.GetStringAsync("/version"))!;
        Assert.Equal("1", (string?)version["major"]);
        Assert.StartsWith("v1.33", (string?)version["gitVersion"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_system_namespaces_exist_and_the_kubeconfig_is_private()
    {
        foreach (var ns in (string[])["default", "kube-system", "kube-public", "kube-node-lease"])
        {
            Assert.Equal(200, (await _s.SendAsync("GET", "/api/v1/namespaces/" + ns)).Code);
        }

        Assert.True(File.Exists(_s.Server.KubeconfigPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_s.Server.KubeconfigPath));
        }

        Assert.Contains("current-context: berth", await File.ReadAllTextAsync(_s.Server.KubeconfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregated_discovery_is_chosen_by_accept_and_legacy_lists_eviction_as_policy()
    {
        var v2 = await _s.SendAsync("GET", "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        var v2beta1 = await _s.SendAsync("GET", "/api", accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
        var legacy = await _s.SendAsync("GET", "/api/v1");

        Assert.Equal("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", v2.ContentType.Replace(";", "; ", StringComparison.Ordinal).Replace(";  ", "; ", StringComparison.Ordinal));
        Assert.Contains("\"shortNames\":[\"sts\"]", v2.Body, StringComparison.Ordinal);
        Assert.Equal("apidiscovery.k8s.io/v2beta1", (string?)v2beta1.Json["apiVersion"]);
        var eviction = legacy.Json["resources"]!.AsArray().Single(r => (string?)r!["name"] == "pods/eviction")!;
        Assert.Equal("policy", (string?)eviction["group"]);
        Assert.Equal("Eviction", (string?)eviction["kind"]);
    }

    [Fact]
    public async Task Create_fills_system_metadata_and_rejects_a_second_create()
    {
        var created = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("meta"));
        var again = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("meta"));

        Assert.Equal(201, created.Code);
        var meta = created.Json["metadata"]!;
        Assert.Matches("^[0-9a-f-]{36}$", (string?)meta["uid"]);
        Assert.Equal(1, (long)meta["generation"]!);
        Assert.NotNull((string?)meta["resourceVersion"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)meta["creationTimestamp"]);
        Assert.Equal(409, again.Code);
        Assert.Equal("AlreadyExists", again.Reason);
        Assert.Equal("configmaps \"meta\" already exists", again.Message);
    }

    [Fact]
    public async Task GenerateName_makes_a_unique_name()
    {
        var body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}""";
        var a = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", body);
        var b = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", body);

        Assert.Equal(201, a.Code);
        Assert.Matches("^gen-[a-z0-9]{5}$", (string?)a.Json["metadata"]!["name"]);
        Assert.NotEqual((string?)a.Json["metadata"]!["name"], (string?)b.Json["metadata"]!["name"]);
    }

    [Fact]
    public async Task Update_with_a_stale_resourceVersion_is_a_conflict_with_the_upstream_message()
    {
        var created = (await _s.SendAsync("POST", "/apis/apps/v1/namespaces/default/statefulsets", StatefulSet("stale"))).Json;
        var first = created.DeepClone().AsObject();
        first["spec"]!["replicas"] = 2;
        Assert.Equal(200, (await _s.SendAsync("PUT", "/apis/apps/v1/namespaces/default/statefulsets/stale", first.ToJsonString())).Code);

        created["spec"]!["replicas"] = 3;
        var conflict = await _s.SendAsync("PUT", "/apis/apps/v1/namespaces/default/statefulsets/stale", created.ToJsonString());

        Assert.Equal(409, conflict.Code);
        Assert.Equal("Conflict", conflict.Reason);
        Assert.Equal("Operation cannot be fulfilled on statefulsets.apps \"stale\": the object has been modified; please apply your changes "
            + "to the latest version and try again", conflict.Message);
    }

    [Fact]
    public async Task Generation_moves_only_with_spec_and_the_main_resource_ignores_status()
    {
        var created = (await _s.SendAsync("POST", "/apis/apps/v1/namespaces/default/statefulsets", StatefulSet("gen"))).Json;
        var labelOnly = await _s.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/gen",
            """{"metadata":{"labels":{"x":"y"}},"status":{"replicas":7}}""", "application/merge-patch+json");
        var spec = await _s.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/gen",
            """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        var status = await _s.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/gen/status",
            """{"status":{"replicas":7},"spec":{"replicas":9}}""", "application/merge-patch+json");

        Assert.Equal(1, (long)created["metadata"]!["generation"]!);
        Assert.Equal(1, (long)labelOnly.Json["metadata"]!["generation"]!);
        Assert.Null(labelOnly.Json["status"]?["replicas"]);
        Assert.Equal(2, (long)spec.Json["metadata"]!["generation"]!);
        Assert.Equal(200, status.Code);
        Assert.Equal(7, (long)status.Json["status"]!["replicas"]!);
        Assert.Equal(4, (long)status.Json["spec"]!["replicas"]!);
        Assert.Equal(2, (long)status.Json["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task Bad_input_gets_the_upstream_client_errors()
    {
        var malformed = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", "{not json");
        var wrongKind = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}""");
        var wrongVersion = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        var protobuf = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", "k8s\0", "application/vnd.kubernetes.protobuf");
        var unknownResource = await _s.SendAsync("GET", "/api/v1/namespaces/default/widgets");
        var missingNamespace = await _s.SendAsync("POST", "/api/v1/namespaces/nope/configmaps", ConfigMap("x"));
        var badName = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("Bad_Name"));
        var huge = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps",
            ConfigMap("huge").Replace("\"v\"", "\"" + new string('x', 3 * 1024 * 1024) + "\"", StringComparison.Ordinal));

        Assert.Equal((400, "BadRequest"), (malformed.Code, malformed.Reason));
        Assert.StartsWith("couldn't get version/kind; json parse error", malformed.Message, StringComparison.Ordinal);
        Assert.Equal(400, wrongKind.Code);
        Assert.Equal(400, wrongVersion.Code);
        Assert.Equal("the API version in the data (apps/v1) does not match the expected API version (v1)", wrongVersion.Message);
        Assert.Equal((415, "UnsupportedMediaType"), (protobuf.Code, protobuf.Reason));
        Assert.Equal((404, "NotFound"), (unknownResource.Code, unknownResource.Reason));
        Assert.Equal("the server could not find the requested resource", unknownResource.Message);
        Assert.Equal("namespaces \"nope\" not found", missingNamespace.Message);
        Assert.Equal((422, "Invalid"), (badName.Code, badName.Reason));
        Assert.StartsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain",
            badName.Message, StringComparison.Ordinal);
        Assert.Equal((413, "RequestEntityTooLarge"), (huge.Code, huge.Reason));
    }

    [Fact]
    public async Task FieldValidation_strict_refuses_and_warn_warns_about_unknown_fields()
    {
        var body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv","bogus":1},"data":{"k":"v"},"spec":{"bogus":true}}""";

        var strict = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body);
        var warn = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn", body);

        Assert.Equal(400, strict.Code);
        Assert.Equal("strict decoding error: unknown field \"metadata.bogus\", unknown field \"spec\"", strict.Message);
        Assert.Equal(201, warn.Code);
        Assert.Equal(["299 - \"unknown field \\\"metadata.bogus\\\"\"", "299 - \"unknown field \\\"spec\\\"\""], warn.Warnings);
        Assert.Null(warn.Json["spec"]);
    }

    [Fact]
    public async Task DryRun_validates_but_stores_nothing()
    {
        var dry = await _s.SendAsync("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", ConfigMap("dry"));

        Assert.Equal(201, dry.Code);
        Assert.Equal(404, (await _s.SendAsync("GET", "/api/v1/namespaces/default/configmaps/dry")).Code);
    }

    [Fact]
    public async Task Lists_filter_by_label_and_field_selectors_and_page_with_continue()
    {
        await _s.SendAsync("POST", "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"lists"}}""");
        for (var i = 0; i < 5; i++)
        {
            var labels = $$""","labels":{"tier":"{{(i % 2 == 0 ? "even" : "odd")}}"}""";
            Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces/lists/configmaps", ConfigMap("cm" + i, labels))).Code);
        }

        var even = await _s.SendAsync("GET", "/api/v1/namespaces/lists/configmaps?labelSelector=tier%3Deven");
        var notIn = await _s.SendAsync("GET", "/api/v1/namespaces/lists/configmaps?labelSelector=tier+notin+(even)");
        var byName = await _s.SendAsync("GET", "/api/v1/namespaces/lists/configmaps?fieldSelector=metadata.name%3Dcm3");
        var badField = await _s.SendAsync("GET", "/api/v1/namespaces/lists/configmaps?fieldSelector=spec.bogus%3Dx");
        var page1 = await _s.SendAsync("GET", "/api/v1/namespaces/lists/configmaps?limit=2");
        var token = Uri.EscapeDataString((string)page1.Json["metadata"]!["continue"]!);
        var page2 = await _s.SendAsync("GET", $"/api/v1/namespaces/lists/configmaps?limit=2&continue={token}");

        Assert.Equal(["cm0", "cm2", "cm4"], Names(even));
        Assert.Equal(["cm1", "cm3"], Names(notIn));
        Assert.Equal(["cm3"], Names(byName));
        Assert.Equal(400, badField.Code);
        Assert.Equal("ConfigMapList", (string?)page1.Json["kind"]);
        Assert.Equal(["cm0", "cm1"], Names(page1));
        Assert.Equal(["cm2", "cm3"], Names(page2));
        Assert.Equal(page1.Json["metadata"]!["resourceVersion"]!.ToString(), page2.Json["metadata"]!["resourceVersion"]!.ToString());
    }

    [Fact]
    public async Task Tables_carry_upstream_columns_partial_metadata_and_whole_objects_on_request()
    {
        await _s.SendAsync("POST", "/apis/apps/v1/namespaces/default/statefulsets", StatefulSet("table", replicas: 3, image: "redis:7"));
        const string Accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

        var table = await _s.SendAsync("GET", "/apis/apps/v1/namespaces/default/statefulsets/table", accept: Accept);
        var withObject = await _s.SendAsync("GET", "/apis/apps/v1/namespaces/default/statefulsets?includeObject=Object", accept: Accept);

        Assert.Equal("Table", (string?)table.Json["kind"]);
        Assert.Equal(["Name", "Ready", "Age", "Containers", "Images"],
            table.Json["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!).ToArray());
        var cells = table.Json["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("table", (string?)cells[0]);
        Assert.Equal("0/3", (string?)cells[1]);
        Assert.Equal("redis:7", (string?)cells[4]);
        Assert.Equal("PartialObjectMetadata", (string?)table.Json["rows"]![0]!["object"]!["kind"]);
        Assert.Contains(withObject.Json["rows"]!.AsArray(), r => (string?)r!["object"]!["kind"] == "StatefulSet");
    }

    [Fact]
    public async Task Scale_reads_and_writes_replicas_and_refuses_negative_ones()
    {
        await _s.SendAsync("POST", "/apis/apps/v1/namespaces/default/statefulsets", StatefulSet("scaled", replicas: 2));

        var scale = await _s.SendAsync("GET", "/apis/apps/v1/namespaces/default/statefulsets/scaled/scale");
        var patched = await _s.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/scaled/scale",
            """{"spec":{"replicas":5}}""", "application/merge-patch+json");
        var negative = await _s.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/scaled/scale",
            """{"spec":{"replicas":-1}}""", "application/merge-patch+json");

        Assert.Equal("autoscaling/v1", (string?)scale.Json["apiVersion"]);
        Assert.Equal("app=scaled", (string?)scale.Json["status"]!["selector"]);
        Assert.Equal(5, (long)patched.Json["spec"]!["replicas"]!);
        Assert.Equal(422, negative.Code);
        var sts = await _s.SendAsync("GET", "/apis/apps/v1/namespaces/default/statefulsets/scaled");
        Assert.Equal(5, (long)sts.Json["spec"]!["replicas"]!);
    }

    [Fact]
    public async Task Scheduled_pods_are_deleted_gracefully_and_force_removes_them()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"graceful"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}]}}""";
        await _s.SendAsync("POST", "/api/v1/namespaces/default/pods", pod);

        var graceful = await _s.SendAsync("DELETE", "/api/v1/namespaces/default/pods/graceful", """{"gracePeriodSeconds":30}""");
        var stillThere = await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/graceful");
        var force = await _s.SendAsync("DELETE", "/api/v1/namespaces/default/pods/graceful", """{"gracePeriodSeconds":0}""");
        var gone = await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/graceful");

        Assert.Equal(200, graceful.Code);
        Assert.Equal(30, (long)stillThere.Json["metadata"]!["deletionGracePeriodSeconds"]!);
        Assert.NotNull(stillThere.Json["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, force.Code);
        Assert.Equal(404, gone.Code);
    }

    [Fact]
    public async Task Eviction_is_refused_with_429_when_the_budget_allows_no_disruption()
    {
        await _s.SendAsync("POST", "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"evict"}}""");
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"db"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]}}""";
        await _s.SendAsync("POST", "/api/v1/namespaces/evict/pods", pod);
        await _s.SendAsync("PATCH", "/api/v1/namespaces/evict/pods/p/status", """{"status":{"phase":"Running"}}""", "application/merge-patch+json");
        await _s.SendAsync("POST", "/apis/policy/v1/namespaces/evict/poddisruptionbudgets",
            """{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"db"}}}}""");
        await _s.SendAsync("PATCH", "/apis/policy/v1/namespaces/evict/poddisruptionbudgets/pdb/status",
            """{"status":{"observedGeneration":1,"disruptionsAllowed":0,"desiredHealthy":1,"currentHealthy":1,"expectedPods":1}}""", "application/merge-patch+json");
        var eviction = """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"evict"}}""";

        var refused = await _s.SendAsync("POST", "/api/v1/namespaces/evict/pods/p/eviction", eviction);
        await _s.SendAsync("PATCH", "/apis/policy/v1/namespaces/evict/poddisruptionbudgets/pdb/status",
            """{"status":{"disruptionsAllowed":1}}""", "application/merge-patch+json");
        var allowed = await _s.SendAsync("POST", "/api/v1/namespaces/evict/pods/p/eviction", eviction);

        Assert.Equal((429, "TooManyRequests"), (refused.Code, refused.Reason));
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", refused.Message);
        Assert.Equal(201, allowed.Code);
        var budget = await _s.SendAsync("GET", "/apis/policy/v1/namespaces/evict/poddisruptionbudgets/pdb");
        Assert.Equal(0, (long)budget.Json["status"]!["disruptionsAllowed"]!);
    }

    [Fact]
    public async Task Node_agent_subresources_answer_503_until_the_agent_runs()
    {
        var logs = await _s.SendAsync("GET", "/api/v1/namespaces/default/pods/any/log");

        Assert.Equal((503, "ServiceUnavailable"), (logs.Code, logs.Reason));
        Assert.Equal("the node agent is not running", logs.Message);
    }

    [Fact]
    public async Task System_namespaces_cannot_be_deleted()
    {
        var refused = await _s.SendAsync("DELETE", "/api/v1/namespaces/default");

        Assert.Equal((403, "Forbidden"), (refused.Code, refused.Reason));
        Assert.Equal("namespaces \"default\" is forbidden: this namespace may not be deleted", refused.Message);
    }

    private static string[] Names(ApiResponse list) =>
        list.Json["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).ToArray();

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
