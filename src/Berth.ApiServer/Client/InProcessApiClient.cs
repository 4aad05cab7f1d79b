using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.Controllers.Client;
using Berth.Core;
using Berth.Core.Selectors;
using Berth.Serialization;
using Berth.Storage;
using k8s;
using k8s.Models;
using ClientApiException = Berth.Controllers.Client.ApiException;
using ServerApiException = Berth.ApiServer.Http.ApiException;

namespace Berth.ApiServer.Client;

/// <summary>
/// The in-process <see cref="IApiClient"/>: controllers and the node agent inside <c>berth serve</c> write through
/// the same <see cref="ObjectRegistry"/> pipeline as HTTP requests (defaulting, validation, admission, conflicts,
/// resourceVersions, graceful deletion), with no HTTP and no TLS. Models travel as JSON trees, not as bytes on a
/// socket: one encode on the way in and one decode on the way out, which the registry needs anyway.
/// </summary>
public sealed class InProcessApiClient : IApiClient
{
    private readonly ObjectRegistry _registry;
    private readonly string _fieldManager;

    internal InProcessApiClient(ObjectRegistry registry, string fieldManager)
    {
        _registry = registry;
        _fieldManager = fieldManager;
    }

    /// <summary>A client for <paramref name="server"/>'s registry, writing as <paramref name="fieldManager"/>.</summary>
    public static InProcessApiClient For(BerthServer server, string fieldManager = "berth-controller-manager")
    {
        ArgumentNullException.ThrowIfNull(server);
        return new InProcessApiClient(server.Registry, fieldManager);
    }

    public async Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        // As bytes: the registry decodes a plain object straight into a fresh model (the caller keeps its own). Type meta
        // left empty by code that builds models is omitted, which the registry accepts as the resource's own.
        var body = ModelCodec.EncodeBytes(resource, obj);
        var kv = await Call(() => _registry.CreateAsync(resource, obj.Metadata?.NamespaceProperty, body, WriteOptions(), cancellationToken))
            .ConfigureAwait(false);
        return Decode<T>(kv);
    }

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        try
        {
            return Decode<T>(await _registry.GetAsync(resource, ns, name, cancellationToken).ConfigureAwait(false));
        }
        catch (ServerApiException e) when (e.Code == 404)
        {
            return null;
        }
        catch (ServerApiException e)
        {
            throw Translate(e);
        }
    }

    public async Task<ApiList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        var selector = string.IsNullOrEmpty(labelSelector) ? null : LabelSelector.Parse(labelSelector);
        var result = await Call(() => _registry.ListAsync(resource, ns, ListOptions.Default, cancellationToken)).ConfigureAwait(false);
        var items = new List<T>(result.Items.Count);
        foreach (var kv in result.Items)
        {
            var item = Decode<T>(kv);
            if (selector is null || selector.Matches(item.Metadata?.Labels))
            {
                items.Add(item);
            }
        }

        return new ApiList<T>(items, result.Revision.ToString(CultureInfo.InvariantCulture));
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, subresource: null, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, subresource: "status", cancellationToken);

    public async Task<T> PatchAsync<T>(string? ns, string name, PatchType patchType, ReadOnlyMemory<byte> patch,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        var contentType = PatchTypes.ContentType(patchType);
        var patchNode = ResourceEndpoints.ParsePatch(contentType, patch.ToArray());
        var kv = await Call(() => _registry.GuaranteedUpdateAsync(resource, ns, name, subresource: null, WriteOptions(),
                (_, current) => ResourceEndpoints.ApplyPatch(contentType, current, patchNode, resource.ModelType, resource),
                cancellationToken))
            .ConfigureAwait(false);
        return Decode<T>(kv);
    }

    public async Task DeleteAsync<T>(string? ns, string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        var request = new DeleteRequest
        {
            GracePeriodSeconds = options?.GracePeriodSeconds,
            PropagationPolicy = options?.PropagationPolicy,
            PreconditionUid = options?.Preconditions?.Uid,
            PreconditionResourceVersion = options?.Preconditions?.ResourceVersion,
        };
        await Call(() => _registry.DeleteAsync(resource, ns, name, request, cancellationToken)).ConfigureAwait(false);
    }

    public async Task BindAsync(V1Binding binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        await Call(() => PodBinding.BindAsync(_registry, binding, cancellationToken)).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ApiWatchEvent<T>> WatchAsync<T>(string? ns, string resourceVersion,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            throw new ClientApiException(400, "BadRequest", $"invalid resourceVersion: \"{resourceVersion}\"");
        }

        await using var events = _registry.Store.WatchAsync(resource.ListPrefix(ns), from, cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await events.MoveNextAsync().ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Expired or StoreErrorCode.WatcherTooSlow)
            {
                // Both mean "re-list": an informer treats 410 that way (upstream reflector).
                throw ClientApiException.Expired(e.Message);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Closed)
            {
                yield break;
            }

            if (!more)
            {
                yield break;
            }

            var ev = events.Current;
            var type = ev.Type switch
            {
                Storage.WatchEventType.Added => k8s.WatchEventType.Added,
                Storage.WatchEventType.Modified => k8s.WatchEventType.Modified,
                _ => k8s.WatchEventType.Deleted,
            };
            yield return new ApiWatchEvent<T>(type, Decode<T>(ev.Current));
        }
    }

    public async Task WriteStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        _ = await PutCoreAsync(obj, "status", cancellationToken).ConfigureAwait(false);

    private async Task<T> PutAsync<T>(T obj, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Decode<T>(await PutCoreAsync(obj, subresource, cancellationToken).ConfigureAwait(false));

    private Task<KeyValue> PutCoreAsync<T>(T obj, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = ResourceOf<T>.Descriptor;
        var body = subresource == "status" ? StatusWrite.Encode(resource, obj) : Encode(resource, obj);
        return Call(() => _registry.UpdateAsync(resource, obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "",
            subresource, body, WriteOptions(), cancellationToken));
    }

    private WriteOptions WriteOptions() => new() { FieldManager = _fieldManager, FieldValidation = FieldValidation.Ignore };

    private static JsonObject Encode<T>(ResourceDescriptor resource, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var body = ModelCodec.Encode(resource, obj);
        // Models built in code often leave the type meta empty; the registry insists on it, as upstream's decoder
        // fills it from the typed client's scheme.
        body["apiVersion"] ??= resource.ApiVersion;
        body["kind"] ??= resource.Kind;
        return body;
    }

    // Controllers never read managedFields (see ManagedFieldsOmission): their copies leave them out.
    private static T Decode<T>(KeyValue kv) => BerthJson.Deserialize<T>(ManagedFieldsOmission.Omit(kv.Value.Span))
        ?? throw new InvalidOperationException($"stored object {kv.Key} decoded to null");

    private static async Task<TResult> Call<TResult>(Func<ValueTask<TResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ServerApiException e)
        {
            throw Translate(e);
        }
    }

    private static ClientApiException Translate(ServerApiException e) =>
        new(e.Status.Code, e.Status.Reason ?? "Unknown", e.Status.Message ?? e.Message);
}
