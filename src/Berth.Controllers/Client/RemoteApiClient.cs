using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Berth.Core;
using Berth.Serialization;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Client;

/// <summary>
/// <see cref="IApiClient"/> over HTTP, for the CLI's connection to a running Berth (`berth up`, `berth status`). The
/// caller hands it the transport (an <see cref="HttpMessageHandler"/> that trusts the server's CA) and the bearer
/// token; it builds the REST paths itself from <see cref="ResourceCatalog"/> so one generic code path serves every
/// resource. Bodies are (de)serialized with <see cref="BerthJson"/>'s source-generated contracts. It does not use the
/// KubernetesClient library's <c>Kubernetes</c> class: that class's JSON and kubeconfig handling go through
/// reflection, which Native AOT cannot compile (docs/aot-spike.md).
/// </summary>
public sealed class RemoteApiClient : IApiClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <param name="server">The API server's base URL (https://127.0.0.1:6443).</param>
    /// <param name="handler">The transport; owned (disposed) by this client.</param>
    /// <param name="bearerToken">Sent as <c>Authorization: Bearer</c> on every request, when not null.</param>
    public RemoteApiClient(Uri server, HttpMessageHandler handler, string? bearerToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(handler);
        _baseUri = new Uri(server.ToString().TrimEnd('/') + "/");
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _authorization = string.IsNullOrEmpty(bearerToken) ? null : new AuthenticationHeaderValue("Bearer", bearerToken);
    }

    public void Dispose() => _http.Dispose();

    public async Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        Stamp(obj, d);
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(d, obj.Metadata?.NamespaceProperty, null, null, null));
        request.Content = JsonBody(BerthJson.SerializeToUtf8Bytes(obj), "application/json");
        return await SendForObjectAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(ResourceOf<T>.Descriptor, ns, name, null, null));
        try
        {
            return await SendForObjectAsync<T>(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<ApiList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var query = labelSelector is null ? null : "labelSelector=" + Uri.EscapeDataString(labelSelector);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(ResourceOf<T>.Descriptor, ns, null, null, query));
        var bytes = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(bytes);
        var items = new List<T>();
        if (doc.RootElement.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                items.Add(BerthJson.Deserialize<T>(Encoding.UTF8.GetBytes(item.GetRawText()))!);
            }
        }

        var rv = doc.RootElement.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var v)
            ? v.GetString() ?? "0"
            : "0";
        return new ApiList<T>(items, rv);
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, null, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, "status", cancellationToken);

    public async Task<T> PatchAsync<T>(string? ns, string name, PatchType patchType, ReadOnlyMemory<byte> patch,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, Url(ResourceOf<T>.Descriptor, ns, name, null, null));
        request.Content = JsonBody(patch.ToArray(), PatchTypes.ContentType(patchType));
        return await SendForObjectAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync<T>(string? ns, string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url(ResourceOf<T>.Descriptor, ns, name, null, null));
        if (options is not null)
        {
            options.ApiVersion ??= "v1";
            options.Kind ??= "DeleteOptions";
            request.Content = JsonBody(BerthJson.SerializeToUtf8Bytes(options), "application/json");
        }

        await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task BindAsync(V1Binding binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        binding.ApiVersion ??= "v1";
        binding.Kind ??= "Binding";
        var d = ResourceOf<V1Pod>.Descriptor;
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(d, binding.Metadata.NamespaceProperty, binding.Metadata.Name, "binding", null));
        request.Content = JsonBody(BerthJson.SerializeToUtf8Bytes(binding), "application/json");
        await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ApiWatchEvent<T>> WatchAsync<T>(string? ns, string resourceVersion,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var query = "watch=true&allowWatchBookmarks=true&resourceVersion=" + Uri.EscapeDataString(resourceVersion);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(ResourceOf<T>.Descriptor, ns, null, null, query));
        Prepare(request);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var type = doc.RootElement.GetProperty("type").GetString();
            var raw = Encoding.UTF8.GetBytes(doc.RootElement.GetProperty("object").GetRawText());
            switch (type)
            {
                case "ADDED":
                    yield return new(WatchEventType.Added, BerthJson.Deserialize<T>(raw)!);
                    break;
                case "MODIFIED":
                    yield return new(WatchEventType.Modified, BerthJson.Deserialize<T>(raw)!);
                    break;
                case "DELETED":
                    yield return new(WatchEventType.Deleted, BerthJson.Deserialize<T>(raw)!);
                    break;
                case "BOOKMARK":
                    yield return new(WatchEventType.Bookmark, BerthJson.Deserialize<T>(raw)!);
                    break;
                default:
                    throw StatusToException(raw, 500);
            }
        }
    }

    private async Task<T> PutAsync<T>(T obj, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        Stamp(obj, d);
        using var request = new HttpRequestMessage(HttpMethod.Put, Url(d, obj.Metadata.NamespaceProperty, obj.Metadata.Name, subresource, null));
        request.Content = JsonBody(BerthJson.SerializeToUtf8Bytes(obj), "application/json");
        return await SendForObjectAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    private static void Stamp<T>(T obj, ResourceDescriptor d)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        obj.ApiVersion ??= d.ApiVersion;
        obj.Kind ??= d.Kind;
    }

    private Uri Url(ResourceDescriptor d, string? ns, string? name, string? subresource, string? query)
    {
        var sb = new StringBuilder(_baseUri.ToString().TrimEnd('/'));
        sb.Append(d.Group.Length == 0 ? "/api/" + d.Version : "/apis/" + d.Group + "/" + d.Version);
        if (d.Namespaced && !string.IsNullOrEmpty(ns))
        {
            sb.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }

        sb.Append('/').Append(d.Plural);
        if (name is not null)
        {
            sb.Append('/').Append(Uri.EscapeDataString(name));
        }

        if (subresource is not null)
        {
            sb.Append('/').Append(subresource);
        }

        if (query is not null)
        {
            sb.Append('?').Append(query);
        }

        return new Uri(sb.ToString());
    }

    private static ByteArrayContent JsonBody(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private void Prepare(HttpRequestMessage request)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = _authorization;
    }

    private async Task<T> SendForObjectAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var bytes = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return BerthJson.Deserialize<T>(bytes) ?? throw new ApiException("empty response body");
    }

    private async Task<byte[]> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Prepare(request);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return StatusToException(body, (int)response.StatusCode);
    }

    private static ApiException StatusToException(byte[] body, int fallbackCode)
    {
        try
        {
            var status = JsonSerializer.Deserialize(body, WireJsonContext.Default.Status);
            if (status is not null && status.Code != 0)
            {
                return new ApiException(status.Code, status.Reason ?? "Unknown", status.Message ?? string.Empty);
            }
        }
        catch (JsonException)
        {
            // Not a Status body: fall through to a generic error carrying the text.
        }

        return new ApiException(fallbackCode, "Unknown", Encoding.UTF8.GetString(body));
    }
}
