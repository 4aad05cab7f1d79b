using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Tests.Http;
using Berth.Storage.Memory;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>
/// The streaming subresources' refusals over plain HTTPS: each a metav1.Status with upstream's code and message,
/// before any upgrade, and the backend slot that the node agent fills after the server started.
/// </summary>
public sealed class PodStreamingHttpTests : IClassFixture<StreamingServer>
{
    private readonly StreamingServer _server;

    public PodStreamingHttpTests(StreamingServer server) => _server = server;

    [Theory]
    [InlineData("/api/v1/namespaces/default/pods/nope/exec?command=echo&stdout=true", 404, "NotFound", "pods \"nope\" not found")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/exec?command=echo&stdout=true", 400, "BadRequest", "Upgrade request required")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/exec?command=echo", 400, "BadRequest", "you must specify at least 1 of stdin, stdout, stderr")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/exec?stdout=true", 400, "BadRequest", "you must specify at least one command for the container")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true&container=nginx", 400, "BadRequest",
        "container nginx is not valid for pod web-0")]
    [InlineData("/api/v1/namespaces/default/pods/multi/exec?command=ls&stdout=true", 400, "BadRequest",
        "a container name must be specified for pod multi, choose one of: [a b] or one of the init containers: [setup]")]
    [InlineData("/api/v1/namespaces/default/pods/pending/attach?stdout=true", 400, "BadRequest", "pod pending does not have a host assigned")]
    [InlineData("/api/v1/namespaces/default/pods/pending/portforward?ports=80", 400, "BadRequest", "pod pending does not have a host assigned")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/portforward", 400, "BadRequest", "Upgrade request required")]
    [InlineData("/api/v1/namespaces/default/pods/multi/log", 400, "BadRequest",
        "a container name must be specified for pod multi, choose one of: [setup a b]")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/log?tailLines=-1", 422, "Invalid",
        "PodLogOptions \"web-0\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/log?limitBytes=0&sinceSeconds=0", 422, "Invalid",
        "PodLogOptions \"web-0\" is invalid: [limitBytes: Invalid value: 0: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0]")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/log?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z", 422, "Invalid",
        "PodLogOptions \"web-0\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified")]
    [InlineData("/api/v1/namespaces/default/pods/web-0/log?tailLines=ten", 400, "BadRequest", "strconv.ParseInt: parsing \"ten\": invalid syntax")]
    [InlineData("/api/v1/namespaces/default/pods/stopped/log", 400, "BadRequest",
        "container \"app\" in pod \"stopped\" is waiting to start: ContainerCreating")]
    public async Task Refusals_are_statuses_with_upstreams_code_and_message(string path, int code, string reason, string message)
    {
        using var response = await _server.Client.GetAsync(path);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal(reason, (string?)status["reason"]);
        Assert.Equal(message, (string?)status["message"]);
    }

    [Fact]
    public async Task Logs_default_to_the_annotated_container_and_pass_the_options_through()
    {
        using var response = await _server.Client.GetAsync(
            "/api/v1/namespaces/default/pods/annotated/log?follow=true&timestamps=1&previous=false&tailLines=3&limitBytes=100&sinceTime=2026-01-02T03:04:05Z");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("log line 1 of b\nlog line 2 of b\n", body);
        Assert.Contains(_server.Backend.Logs, l => l is { Pod: "annotated", Container: "b", Follow: true, Timestamps: true, Previous: false, TailLines: 3, LimitBytes: 100 }
            && l.SinceTime == new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_pod_without_a_node_has_an_empty_log()
    {
        using var response = await _server.Client.GetAsync("/api/v1/namespaces/default/pods/pending/log");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Log_is_get_only()
    {
        using var response = await _server.Client.PostAsync("/api/v1/namespaces/default/pods/web-0/log", new StringContent(""));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task A_spdy_upgrade_with_no_common_protocol_is_forbidden_and_lists_what_the_server_accepts()
    {
        var response = await RawAsync(
            "POST /api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true HTTP/1.1\r\n"
            + $"Host: {_server.Server.Url.Authority}\r\nAuthorization: Bearer {_server.Server.Token}\r\nContent-Length: 0\r\n"
            + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: channel.k8s.io\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403", response, StringComparison.Ordinal);
        Assert.Contains("X-Accepted-Stream-Protocol-Versions: v5.channel.k8s.io", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("unable to upgrade: unable to negotiate protocol: client supports [channel.k8s.io], server accepts [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io]",
            response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spdy_upgrade_names_the_negotiated_protocol_in_its_101()
    {
        var response = await RawAsync(
            "POST /api/v1/namespaces/default/pods/web-0/exec?command=echo&command=hi&stdout=true HTTP/1.1\r\n"
            + $"Host: {_server.Server.Url.Authority}\r\nAuthorization: Bearer {_server.Server.Token}\r\nContent-Length: 0\r\n"
            + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v9.channel.k8s.io\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 101", response, StringComparison.Ordinal);
        Assert.Contains("X-Stream-Protocol-Version: v4.channel.k8s.io", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Upgrade: SPDY/3.1", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_websocket_exec_with_only_unknown_sub_protocols_is_refused()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("channel.k8s.io");
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _server.Server.Token);
        socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        var uri = new Uri($"wss://{_server.Server.Url.Authority}/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true");

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Contains("400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backend_can_be_plugged_in_after_the_server_started_and_taken_away_again()
    {
        var dataDir = Directory.CreateTempSubdirectory("berth-streaming-slot-").FullName;
        try
        {
            await using var server = await BerthServer.StartAsync(new BerthServerOptions
            {
                DataDir = dataDir,
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                OpenStore = _ => ValueTask.FromResult<Berth.Storage.IStore>(new MemoryStore()),
                WriteKubeconfig = false,
            });
            using var client = InProcessServer.CreateClient(server, server.Token);
            using var created = await client.PostAsync("/api/v1/namespaces/default/pods", new StringContent(
                """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n","containers":[{"name":"c","image":"busybox"}]}}""",
                Encoding.UTF8, "application/json"));
            Assert.True(created.IsSuccessStatusCode);

            using var before = await client.GetAsync("/api/v1/namespaces/default/pods/p/log");
            server.PodStreaming = new FakePodStreamingBackend();
            using var plugged = await client.GetAsync("/api/v1/namespaces/default/pods/p/log");
            server.PodStreaming = null;
            using var after = await client.GetAsync("/api/v1/namespaces/default/pods/p/log");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Contains("the node agent is not running", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, plugged.StatusCode);
            Assert.Equal("log line 1 of c\nlog line 2 of c\n", await plugged.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>One raw HTTP/1.1 request over TLS; returns the response head (and whatever body came with it).</summary>
    private async Task<string> RawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_server.Server.Url.Host, _server.Server.Url.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        });
        await tls.WriteAsync(Encoding.ASCII.GetBytes(request));
        await tls.FlushAsync();
        var buffer = new byte[8192];
        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || text.ToString().StartsWith("HTTP/1.1 4", StringComparison.Ordinal)
            && !text.ToString().Contains("}", StringComparison.Ordinal))
        {
            var n = await tls.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }
}
