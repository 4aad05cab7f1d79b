using System.Net;
using System.Text;
using Berth.ApiServer.Tests.Http;
using Berth.Storage.Memory;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>
/// An in-process BerthServer whose pod streaming goes to a <see cref="FakePodStreamingBackend"/>, with DATA/kubeconfig
/// for kubectl, a loopback echo server behind pod port 80, and a few pods in namespace default:
/// web-0 (one container "app", Running on node-1), multi (containers a and b, init container setup), annotated
/// (a and b, default-container b), stopped (the backend says its container is not running) and pending (no node).
/// </summary>
public sealed class StreamingServer : IAsyncLifetime
{
    private string? _dataDir;

    internal FakePodStreamingBackend Backend { get; } = new();

    internal EchoServer Echo { get; } = new();

    public BerthServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string Kubeconfig => Server.KubeconfigPath;

    public string CacheDir => Path.Combine(_dataDir!, "kubectl-cache");

    public async ValueTask InitializeAsync()
    {
        _dataDir = Directory.CreateTempSubdirectory("berth-streaming-test-").FullName;
        Server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = _dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult<Berth.Storage.IStore>(new MemoryStore()),
            PodStreaming = Backend,
        });
        Client = InProcessServer.CreateClient(Server, Server.Token);
        Backend.Ports[80] = Echo.Port;

        await CreatePodAsync("web-0", """[{"name":"app","image":"busybox"}]""", "node-1", running: true);
        await CreatePodAsync("multi", """[{"name":"a","image":"busybox"},{"name":"b","image":"busybox"}]""", "node-1", running: true,
            initContainers: """[{"name":"setup","image":"busybox"}]""");
        await CreatePodAsync("annotated", """[{"name":"a","image":"busybox"},{"name":"b","image":"busybox"}]""", "node-1", running: true,
            annotations: """{"kubectl.kubernetes.io/default-container":"b"}""");
        await CreatePodAsync(FakePodStreamingBackend.NotRunningPod, """[{"name":"app","image":"busybox"}]""", "node-1", running: true);
        await CreatePodAsync("pending", """[{"name":"app","image":"busybox"}]""", nodeName: null, running: false);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Echo.DisposeAsync();
        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private async Task CreatePodAsync(string name, string containers, string? nodeName, bool running, string? initContainers = null,
        string? annotations = null)
    {
        var spec = $$"""{"containers":{{containers}}{{(initContainers is null ? "" : ",\"initContainers\":" + initContainers)}}{{(nodeName is null ? "" : ",\"nodeName\":\"" + nodeName + "\"")}}}""";
        var meta = $$"""{"name":"{{name}}"{{(annotations is null ? "" : ",\"annotations\":" + annotations)}}}""";
        var body = $$"""{"apiVersion":"v1","kind":"Pod","metadata":{{meta}},"spec":{{spec}}}""";
        using var created = await Client.PostAsync("/api/v1/namespaces/default/pods", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        if (running)
        {
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/default/pods/{name}/status")
            {
                Content = new StringContent("""{"status":{"phase":"Running"}}""", Encoding.UTF8, "application/merge-patch+json"),
            };
            using var patched = await Client.SendAsync(patch);
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        }
    }
}
