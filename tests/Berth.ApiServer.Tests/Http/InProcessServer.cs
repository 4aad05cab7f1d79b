using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Storage;
using Berth.Storage.Memory;

namespace Berth.ApiServer.Tests.Http;

/// <summary>An in-process BerthServer on 127.0.0.1:0 (memory store, temp data dir) and an HttpClient that
/// trusts its CA and sends its token.</summary>
public sealed class InProcessServer : IAsyncLifetime
{
    private string? _dataDir;

    public BerthServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IStore Store { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _dataDir = Directory.CreateTempSubdirectory("berth-api-test-").FullName;
        Store = new MemoryStore();
        Server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = _dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult(Store),
        });
        Client = CreateClient(Server.Token);
    }

    public HttpClient CreateClient(string? token) => CreateClient(Server, token);

    /// <summary>An HttpClient for <paramref name="server"/> that trusts its CA and, given one, sends the bearer token.</summary>
    internal static HttpClient CreateClient(BerthServer server, string? token)
    {
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
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task<ApiResponse> SendAsync(string method, string path, string? body = null, string contentType = "application/json",
        string? accept = null, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var warnings = response.Headers.TryGetValues("Warning", out var w) ? w.ToList() : [];
        return new ApiResponse((int)response.StatusCode, text, response.Content.Headers.ContentType?.ToString() ?? "", warnings);
    }

    public async Task<ApiResponse> SendBytesAsync(string method, string path, byte[] body, string contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse((int)response.StatusCode, text, response.Content.Headers.ContentType?.ToString() ?? "", []);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}

public sealed record ApiResponse(int Code, string Body, string ContentType, IReadOnlyList<string> Warnings)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public string? Message => (string?)Json["message"];

    public string? Reason => (string?)Json["reason"];

    public override string ToString() => $"{Code} {Body}";
}
