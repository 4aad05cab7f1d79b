using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Controllers.Client;
using Berth.Serialization;

namespace Berth.Cli.Daemon;

/// <summary>
/// The CLI's connection to a running Berth, from DATA/kubeconfig: a raw HTTPS client (trusting only the data dir's
/// CA, sending its bearer token) for /readyz and server-side apply of arbitrary manifests, and the typed
/// <see cref="RemoteApiClient"/> the informers use.
/// </summary>
internal sealed class BerthApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly KubeconfigConnection _connection;
    private RemoteApiClient? _client;

    private BerthApi(KubeconfigConnection connection)
    {
        _connection = connection;
        Server = connection.Server;
        _http = new HttpClient(connection.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11 };
        if (!string.IsNullOrEmpty(connection.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.Token);
        }
    }

    public Uri Server { get; }

    public IApiClient Client => _client ??= new RemoteApiClient(Server, _connection.CreateHandler(), _connection.Token);

    /// <summary>Reads the kubeconfig; null when it does not exist (yet) or cannot be parsed.</summary>
    public static BerthApi? TryOpen(string kubeconfigPath) =>
        KubeconfigConnection.TryRead(kubeconfigPath) is { } connection ? new BerthApi(connection) : null;

    /// <summary>Whether GET /readyz answers 200 (a refused connection or a TLS failure is "not ready").</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await _http.GetAsync(new Uri(Server, "readyz"), timeout.Token).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>GET of one object by path; null on 404. Errors carry the server's Status message.</summary>
    public async Task<JsonDocument?> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(Server, path), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? JsonDocument.Parse(body) : throw Error(response.StatusCode, body);
    }

    /// <summary>
    /// Server-side apply (PATCH, application/apply-patch+yaml; a JSON body is YAML). Returns the stored object and
    /// whether it was created (201).
    /// </summary>
    public async Task<(JsonDocument Object, bool Created)> ApplyAsync(string path, byte[] body, string fieldManager, bool force,
        CancellationToken cancellationToken)
    {
        var query = "?fieldManager=" + Uri.EscapeDataString(fieldManager) + (force ? "&force=true" : "");
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(Server, path + query));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Error(response.StatusCode, bytes);
        }

        return (JsonDocument.Parse(bytes), response.StatusCode == HttpStatusCode.Created);
    }

    public void Dispose()
    {
        _http.Dispose();
        _client?.Dispose();
    }

    private static ApiException Error(HttpStatusCode code, byte[] body)
    {
        try
        {
            var status = JsonSerializer.Deserialize(body, WireJsonContext.Default.Status);
            if (status is { Code: not 0 })
            {
                return new ApiException(status.Code, status.Reason ?? "Unknown", status.Message ?? string.Empty);
            }
        }
        catch (JsonException)
        {
            // Not a Status: report the text below.
        }

        return new ApiException((int)code, "Unknown", System.Text.Encoding.UTF8.GetString(body));
    }
}
