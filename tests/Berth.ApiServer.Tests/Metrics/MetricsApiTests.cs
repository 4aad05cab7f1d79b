using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Berth.ApiServer.Metrics;
using Berth.Core.Metrics;
using Berth.Storage;
using Berth.Storage.Memory;
using k8s.Models;

namespace Berth.ApiServer.Tests.Metrics;

public sealed class MetricsApiTests
{
    /// <summary>Figures for pods named web-*, none for the rest (a pod the source never saw is left out).</summary>
    private sealed class FixedSource : IMetricsSource
    {
        public static readonly DateTimeOffset At = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        public ValueTask<PodUsage?> GetPodUsageAsync(V1Pod pod, CancellationToken cancellationToken) =>
            ValueTask.FromResult(pod.Metadata.Name.StartsWith("web-", StringComparison.Ordinal)
                ? new PodUsage(At, TimeSpan.FromSeconds(15), [new ContainerUsage("c", new ResourceUsage(1_234_567, 46_774_272))])
                : null);

        public ValueTask<NodeUsage?> GetNodeUsageAsync(V1Node node, CancellationToken cancellationToken) =>
            ValueTask.FromResult<NodeUsage?>(new NodeUsage(At, TimeSpan.FromSeconds(10.5), new ResourceUsage(250_000_000, 1024L * 1024 * 1024)));
    }

    private static async Task<(BerthServer Server, HttpClient Client, string Dir)> StartAsync(IMetricsSource? source)
    {
        var dir = Directory.CreateTempSubdirectory("berth-metrics-test-").FullName;
        var server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = dir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult<IStore>(new MemoryStore()),
            WriteKubeconfig = false,
            MetricsSource = source,
        });
        var ca = X509Certificate2.CreateFromPem(server.CaPem);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is not null && chain.Build(new X509Certificate2(certificate));
        };
        var client = new HttpClient(handler) { BaseAddress = server.Url };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token);
        return (server, client, dir);
    }

    private static async Task<(int Code, JsonObject Body)> GetAsync(HttpClient client, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject());
    }

    private static async Task PostAsync(HttpClient client, string path, string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Pod_and_node_metrics_are_served_in_metrics_server_form()
    {
        var (server, client, dir) = await StartAsync(new FixedSource());
        try
        {
            foreach (var name in (string[])["web-0", "other"])
            {
                await PostAsync(client, "/api/v1/namespaces/default/pods",
                    """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","labels":{"app":"NAME"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"""
                        .Replace("NAME", name, StringComparison.Ordinal));
            }

            await PostAsync(client, "/api/v1/nodes", """{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"a":"b"}}}""");

            var (code, list) = await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "application/vnd.kubernetes.protobuf, */*");
            Assert.Equal(200, code);
            Assert.Equal(("PodMetricsList", "metrics.k8s.io/v1beta1"), ((string?)list["kind"], (string?)list["apiVersion"]));
            var item = Assert.Single(list["items"]!.AsArray())!;
            Assert.Equal(("web-0", "default", "web-0"), ((string?)item["metadata"]!["name"], (string?)item["metadata"]!["namespace"], (string?)item["metadata"]!["labels"]!["app"]));
            Assert.Equal(("2026-11-23T12:00:00Z", "15s"), ((string?)item["timestamp"], (string?)item["window"]));
            var usage = item["containers"]![0]!["usage"]!;
            Assert.Equal(("1234567n", "45678Ki"), ((string?)usage["cpu"], (string?)usage["memory"]));

            Assert.Empty((await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dother")).Body["items"]!.AsArray());
            var single = (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-0")).Body;
            Assert.Equal("PodMetrics", (string?)single["kind"]);

            var (missing, status) = await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/other");
            Assert.Equal((404, "podmetrics.metrics.k8s.io \"default/other\" not found"), (missing, (string?)status["message"]));

            var node = (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/nodes/n1")).Body;
            Assert.Equal(("NodeMetrics", "250000000n", "1048576Ki", "10.5s"),
                ((string?)node["kind"], (string?)node["usage"]!["cpu"], (string?)node["usage"]!["memory"], (string?)node["window"]));
            Assert.Equal(404, (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/nodes/nope")).Code);
            Assert.Equal(405, (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/pods?watch=true")).Code);
            Assert.Equal(400, (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dx")).Code);

            var groups = (await GetAsync(client, "/apis")).Body.ToJsonString();
            Assert.Contains("\"metrics.k8s.io/v1beta1\"", groups, StringComparison.Ordinal);
        }
        finally
        {
            client.Dispose();
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Without_a_source_the_group_is_not_discovered_and_not_served()
    {
        var (server, client, dir) = await StartAsync(null);
        try
        {
            Assert.DoesNotContain("metrics.k8s.io", (await GetAsync(client, "/apis")).Body.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal(404, (await GetAsync(client, "/apis/metrics.k8s.io/v1beta1/pods")).Code);
        }
        finally
        {
            client.Dispose();
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(15, "15s")]
    [InlineData(10.5, "10.5s")]
    [InlineData(60, "1m0s")]
    [InlineData(90, "1m30s")]
    public void Windows_are_go_durations(double seconds, string expected) =>
        Assert.Equal(expected, MetricsApi.FormatWindow(TimeSpan.FromSeconds(seconds)));
}
