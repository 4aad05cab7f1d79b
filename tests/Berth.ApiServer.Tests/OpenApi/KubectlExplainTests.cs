using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.ApiServer.OpenApi;
using Berth.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Tests.OpenApi;

/// <summary>
/// Real kubectl against a loopback Kestrel that serves only legacy discovery (from the catalog) and our OpenAPI
/// documents: proves the documents are what `kubectl explain` needs, independently of the full API server.
/// </summary>
public sealed class KubectlExplainTests : IAsyncLifetime
{
    private const string KubectlDir = "/usr/lib/google-cloud-sdk/bin";
    private readonly OpenApiDocuments _documents = new(ResourceCatalog.All);
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-explain-").FullName;
    private WebApplication? _app;
    private string _url = "";

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/openapi/v2", () => Results.Bytes(_documents.V2, OpenApiDocuments.V2ContentType));
        _app.MapGet("/openapi/v3", () => Results.Bytes(_documents.V3Index, "application/json"));
        _app.MapGet("/openapi/v3/{**path}", (string path, HttpContext context) =>
        {
            if (!_documents.TryGetV3(path, out var json, out var etag))
            {
                return Results.NotFound();
            }

            context.Response.Headers.ETag = etag;
            return Results.Bytes(json, "application/json");
        });
        _app.MapGet("/api", () => Results.Text("""{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}""", "application/json"));
        _app.MapGet("/apis", () => Results.Text(GroupList(), "application/json"));
        _app.MapGet("/api/v1", () => Results.Text(ResourceList("", "v1"), "application/json"));
        _app.MapGet("/apis/{group}/{version}", (string group, string version) => Results.Text(ResourceList(group, version), "application/json"));
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await File.WriteAllTextAsync(Path.Combine(_dir, "kubeconfig"), $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: t
              cluster:
                server: "{_url}"
            users:
            - name: t
              user:
                username: test
            contexts:
            - name: t
              context:
                cluster: t
                user: t
            current-context: t
            """);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("kubectl.1.33")]
    [InlineData("kubectl.1.30")]
    [InlineData("kubectl.1.27")]
    public async Task Explain_statefulset_update_strategy_prints_field_docs_and_types(string kubectl)
    {
        var (code, output) = await Kubectl(kubectl, "explain", "statefulset.spec.updateStrategy");
        TestContext.Current.SendDiagnosticMessage(output);

        Assert.True(code == 0, output);
        Assert.Contains("KIND:       StatefulSet", output, StringComparison.Ordinal);
        Assert.Contains("VERSION:    v1", output, StringComparison.Ordinal);
        Assert.Contains("updateStrategy <StatefulSetUpdateStrategy>", output, StringComparison.Ordinal);
        Assert.Contains("updateStrategy indicates the StatefulSetUpdateStrategy that will be employed", output, StringComparison.Ordinal);
        Assert.Contains("rollingUpdate\t<RollingUpdateStatefulSetStrategy>", output, StringComparison.Ordinal);
        Assert.Contains("type\t<string>", output, StringComparison.Ordinal);
        if (kubectl != "kubectl.1.27")
        {
            // kubectl 1.27's explain template does not print enum values; later versions do.
            Assert.Contains("enum: OnDelete, RollingUpdate", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Explain_pod_containers_shows_the_core_type_and_required_marker()
    {
        var (code, output) = await Kubectl("kubectl.1.33", "explain", "pods.spec.containers");

        Assert.True(code == 0, output);
        Assert.Contains("containers <[]Container>", output, StringComparison.Ordinal);
        Assert.Contains("name\t<string> -required-", output, StringComparison.Ordinal);
        Assert.Contains("resources\t<ResourceRequirements>", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> Kubectl(string binary, params string[] args)
    {
        var path = Path.Combine(KubectlDir, binary);
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not installed");
        }

        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--kubeconfig", Path.Combine(_dir, "kubeconfig"), "--cache-dir", Path.Combine(_dir, "cache-" + binary), .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in ResourceCatalog.All.Where(r => r.Group.Length > 0).GroupBy(r => r.Group))
        {
            var version = group.First().Version;
            var groupVersion = new JsonObject { ["groupVersion"] = group.Key + "/" + version, ["version"] = version };
            groups.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["versions"] = new JsonArray(groupVersion),
                ["preferredVersion"] = groupVersion.DeepClone(),
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups }.ToJsonString();
    }

    private static string ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var resource in ResourceCatalog.All.Where(r => r.Group == group && r.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Singular,
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = new JsonArray(resource.Verbs.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
                ["shortNames"] = new JsonArray(resource.ShortNames.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            });
        }

        var groupVersion = group.Length == 0 ? version : group + "/" + version;
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion, ["resources"] = resources }.ToJsonString();
    }
}
