using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Controllers.Client;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Tests.Client;

/// <summary>
/// RemoteApiClient against a scripted loopback HTTP server: paths, verbs, bodies, Status errors and the watch
/// stream (the real API server test comes when the in-process server is wired in).
/// </summary>
public sealed class RemoteApiClientTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<string> _requests = [];
    private readonly Task _serve;
    private readonly RemoteApiClient _client;

    public RemoteApiClientTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(prefix);
        _listener.Start();
        _serve = Task.Run(ServeAsync);
        _client = new RemoteApiClient(new Uri(prefix), new SocketsHttpHandler(), "token-1");
    }

    public void Dispose()
    {
        _client.Dispose();
        _listener.Stop();
        _listener.Close();
        try
        {
            _serve.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    [Fact]
    public async Task Get_of_a_missing_object_is_null()
    {
        Assert.Null(await _client.GetAsync<V1Pod>("default", "missing", TestContext.Current.CancellationToken));
        Assert.Contains("GET /api/v1/namespaces/default/pods/missing Bearer token-1", _requests);
    }

    [Fact]
    public async Task Errors_carry_the_status_code_reason_and_message()
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => _client.CreateAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "exists", NamespaceProperty = "default" },
        }, TestContext.Current.CancellationToken));
        Assert.True(e.IsAlreadyExists);
        Assert.Equal("statefulsets.apps \"exists\" already exists", e.Message);
        Assert.Contains(_requests, r => r.StartsWith("POST /apis/apps/v1/namespaces/default/statefulsets ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_returns_items_and_the_list_resourceVersion()
    {
        var list = await _client.ListAsync<V1ConfigMap>("default", "app=web,tier in (a)", TestContext.Current.CancellationToken);
        Assert.Equal("42", list.ResourceVersion);
        Assert.Equal(["a", "b"], list.Items.Select(i => i.Metadata.Name));
        Assert.Contains("GET /api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb%2Ctier%20in%20%28a%29 Bearer token-1", _requests);
    }

    [Fact]
    public async Task Watch_streams_events_and_ends_with_expired_on_a_410_error_event()
    {
        var seen = new List<(WatchEventType, string)>();
        var e = await Assert.ThrowsAsync<ApiException>(async () =>
        {
            await foreach (var ev in _client.WatchAsync<V1ConfigMap>(null, "7", TestContext.Current.CancellationToken))
            {
                seen.Add((ev.Type, ev.Object.Metadata.Name));
            }
        });
        Assert.True(e.IsExpired);
        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Modified, "a")], seen);
        Assert.Contains("GET /api/v1/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=7 Bearer token-1", _requests);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var req = ctx.Request;
            lock (_requests)
            {
                _requests.Add($"{req.HttpMethod} {req.RawUrl} {req.Headers["Authorization"]}");
            }

            var url = req.RawUrl ?? string.Empty;
            var (code, body) = url switch
            {
                var u when u.Contains("watch=true", StringComparison.Ordinal) => (200,
                    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"8\"}}}\n" +
                    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"9\"}}}\n" +
                    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version: 7 (9)\",\"reason\":\"Expired\",\"code\":410}}\n"),
                var u when u.Contains("/configmaps", StringComparison.Ordinal) => (200,
                    "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}"),
                var u when u.Contains("/statefulsets", StringComparison.Ordinal) => (409,
                    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"statefulsets.apps \\\"exists\\\" already exists\",\"reason\":\"AlreadyExists\",\"code\":409}"),
                _ => (404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"pods \\\"missing\\\" not found\",\"reason\":\"NotFound\",\"code\":404}"),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            ctx.Response.StatusCode = code;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }
}
