using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests.Http;

/// <summary>/metrics (upstream's request histogram and counter) and the streamed list responses it times.</summary>
public sealed class RequestMetricsTests : IClassFixture<InProcessServer>
{
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

    private readonly InProcessServer _s;

    public RequestMetricsTests(InProcessServer server) => _s = server;

    [Fact]
    public async Task Metrics_need_the_token_and_are_served_in_the_Prometheus_text_format()
    {
        using var anonymous = _s.CreateClient(token: null);
        await _s.SendAsync("GET", "/api/v1/namespaces/default/configmaps");

        var denied = await anonymous.GetAsync("/metrics", TestContext.Current.CancellationToken);
        var metrics = await _s.SendAsync("GET", "/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal(200, metrics.Code);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.ContentType);
        Assert.Contains("# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb, dry run value, "
            + "group, version, resource, subresource, scope and component.\n# TYPE apiserver_request_duration_seconds histogram\n", metrics.Body,
            StringComparison.Ordinal);
        Assert.Contains("# TYPE apiserver_request_total counter\n", metrics.Body, StringComparison.Ordinal);
        var series = Labels("configmaps", "namespace", "LIST");
        Assert.Contains("apiserver_request_duration_seconds_bucket{" + series + ",le=\"0.005\"} ", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_duration_seconds_bucket{" + series + ",le=\"+Inf\"} ", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"200\"," + series + "} ", metrics.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_list_is_counted_once_in_every_bucket_it_fits_and_its_duration_is_added_to_the_sum()
    {
        await _s.SendAsync("POST", "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"counted"}}""");
        var series = Labels("pods", "namespace", "LIST");
        var before = Histogram(await MetricsAsync(), series);

        Assert.Equal(200, (await _s.SendAsync("GET", "/api/v1/namespaces/counted/pods", accept: TableAccept)).Code);
        var after = Histogram(await MetricsAsync(), series);

        Assert.Equal(before.Count + 1, after.Count);
        Assert.True(after.Sum > before.Sum);
        Assert.Equal(after.Count, after.Buckets[^1]);
        Assert.Equal(24, after.Buckets.Count);
        for (var i = 1; i < after.Buckets.Count; i++)
        {
            Assert.True(after.Buckets[i] >= after.Buckets[i - 1]);
        }

        // The new observation is in the +Inf bucket and in every bucket from the one that holds it onwards.
        var grown = after.Buckets.Select((b, i) => b - before.Buckets[i]).ToList();
        Assert.Equal(1, grown[^1]);
        Assert.Equal(grown.SkipWhile(g => g == 0).Count(), grown.Count(g => g == 1));
    }

    [Fact]
    public async Task Verbs_scopes_and_dry_run_are_labelled_as_upstream_labels_them()
    {
        await _s.SendAsync("POST", "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"verbs"}}""");
        const string Cm = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}""";
        await _s.SendAsync("POST", "/api/v1/namespaces/verbs/configmaps?dryRun=All", Cm);
        await _s.SendAsync("POST", "/api/v1/namespaces/verbs/configmaps", Cm);
        await _s.SendAsync("GET", "/api/v1/namespaces/verbs/configmaps/cm");
        await _s.SendAsync("GET", "/api/v1/configmaps");
        await _s.SendAsync("GET", "/api/v1/namespaces/verbs/configmaps/missing");
        await _s.SendAsync("PATCH", "/api/v1/namespaces/verbs/configmaps/cm?fieldManager=test&force=true",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"w"}}""", "application/apply-patch+yaml");
        await _s.SendAsync("DELETE", "/api/v1/namespaces/verbs/configmaps");
        await _s.SendAsync("GET", "/api/v1/namespaces/verbs/bogus");

        var metrics = await MetricsAsync();

        Assert.Contains("apiserver_request_total{code=\"201\"," + Labels("configmaps", "resource", "POST", dryRun: "All") + "} 1\n", metrics,
            StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"200\"," + Labels("configmaps", "resource", "GET") + "} ", metrics, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"404\"," + Labels("configmaps", "resource", "GET") + "} ", metrics, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"200\"," + Labels("configmaps", "cluster", "LIST") + "} ", metrics, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"200\"," + Labels("configmaps", "resource", "APPLY") + "} ", metrics, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{code=\"200\"," + Labels("configmaps", "namespace", "DELETECOLLECTION") + "} ", metrics,
            StringComparison.Ordinal);
        Assert.DoesNotContain("bogus", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamed_lists_of_many_pods_are_whole_page_with_continue_and_keep_selectors()
    {
        await _s.SendAsync("POST", "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"many"}}""");
        for (var i = 0; i < 300; i++)
        {
            var tier = i % 3 == 0 ? "front" : "back";
            var pod = $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-{{{i:D3}}}","labels":{"tier":"{{{tier}}}"}},"spec":{"nodeName":"node-{{{i % 2}}}","containers":[{"name":"c","image":"nginx"}]}}""";
            Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces/many/pods", pod)).Code);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/many/pods");
        using var plain = await _s.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var plainBytes = await plain.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var table = await _s.SendAsync("GET", "/api/v1/namespaces/many/pods", accept: TableAccept);
        var page1 = await _s.SendAsync("GET", "/api/v1/namespaces/many/pods?limit=250", accept: TableAccept);
        var token = Uri.EscapeDataString((string)page1.Json["metadata"]!["continue"]!);
        var page2 = await _s.SendAsync("GET", $"/api/v1/namespaces/many/pods?limit=250&continue={token}", accept: TableAccept);
        var front = await _s.SendAsync("GET", "/api/v1/namespaces/many/pods?labelSelector=tier%3Dfront&fieldSelector=spec.nodeName%3Dnode-0",
            accept: TableAccept);

        Assert.Equal(plainBytes.Length, plain.Content.Headers.ContentLength);
        var list = JsonNode.Parse(plainBytes)!;
        Assert.Equal("PodList", (string?)list["kind"]);
        Assert.Equal(300, list["items"]!.AsArray().Count);
        Assert.Equal(300, table.Json["rows"]!.AsArray().Count);
        Assert.Equal("web-299", (string?)table.Json["rows"]![299]!["cells"]![0]);
        Assert.Equal(250, page1.Json["rows"]!.AsArray().Count);
        Assert.Equal(50, (long)page1.Json["metadata"]!["remainingItemCount"]!);
        Assert.Equal(["web-250", "web-299"], [(string?)page2.Json["rows"]![0]!["cells"]![0], (string?)page2.Json["rows"]![49]!["cells"]![0]]);
        Assert.Null(page2.Json["metadata"]!["continue"]);
        // tier=front is every third pod, node-0 every second: every sixth.
        Assert.Equal(50, front.Json["rows"]!.AsArray().Count);
        Assert.All(front.Json["rows"]!.AsArray(), r => Assert.Equal("node-0", (string?)r!["cells"]![6]));
    }

    private static string Labels(string resource, string scope, string verb, string dryRun = "") =>
        $"component=\"apiserver\",dry_run=\"{dryRun}\",group=\"\",resource=\"{resource}\",scope=\"{scope}\",subresource=\"\",verb=\"{verb}\",version=\"v1\"";

    private async Task<string> MetricsAsync() => (await _s.SendAsync("GET", "/metrics")).Body;

    private static (List<long> Buckets, double Sum, long Count) Histogram(string metrics, string series)
    {
        var buckets = new List<long>();
        double sum = 0;
        long count = 0;
        foreach (var line in metrics.Split('\n'))
        {
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (line.StartsWith("apiserver_request_duration_seconds_bucket{" + series + ",le=", StringComparison.Ordinal))
            {
                buckets.Add(long.Parse(value, CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("apiserver_request_duration_seconds_sum{" + series + "}", StringComparison.Ordinal))
            {
                sum = double.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("apiserver_request_duration_seconds_count{" + series + "}", StringComparison.Ordinal))
            {
                count = long.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return (buckets.Count == 0 ? [.. new long[24]] : buckets, sum, count);
    }
}
