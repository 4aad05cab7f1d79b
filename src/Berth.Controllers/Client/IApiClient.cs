using k8s;
using k8s.Models;

namespace Berth.Controllers.Client;

/// <summary>
/// The one way controllers and the node agent reach the API. Two implementations: in-process (over the
/// registry pipeline, composed in Berth.Cli/ApiServer) and <see cref="RemoteApiClient"/> (HTTP). Errors are
/// always <see cref="ApiException"/> carrying the HTTP status code and the metav1.Status reason.
/// </summary>
public interface IApiClient
{
    Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Null when the object does not exist (404).</summary>
    Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Lists one namespace (or all when <paramref name="ns"/> is null) at the current revision.</summary>
    Task<ApiList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>PUT of the main resource; metadata.resourceVersion, when set, is a precondition (409 Conflict).</summary>
    Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>PUT of the status subresource.</summary>
    Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// <see cref="UpdateStatusAsync"/> for callers that do not read the stored object back (a kubelet's status sync
    /// learns the result from its informer): the in-process client then skips decoding it, which was a
    /// measurable part of every pod's start (docs/benchmarks.md).
    /// </summary>
    async Task WriteStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await UpdateStatusAsync(obj, cancellationToken).ConfigureAwait(false);

    Task<T> PatchAsync<T>(string? ns, string name, PatchType patchType, ReadOnlyMemory<byte> patch,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// DELETE. Objects with finalizers (or pods on a node, which terminate gracefully) stay with a
    /// deletionTimestamp; 404 is reported as <see cref="ApiException"/> NotFound.
    /// </summary>
    Task DeleteAsync<T>(string? ns, string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// POST pods/{name}/binding: the scheduler's only way to set spec.nodeName; the server also sets the pod's
    /// PodScheduled condition to True.
    /// </summary>
    Task BindAsync(V1Binding binding, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> (exclusive). The sequence ends normally when the server closes
    /// the watch, and throws <see cref="ApiException"/> with status 410 (Expired) when that revision is compacted away.
    /// </summary>
    IAsyncEnumerable<ApiWatchEvent<T>> WatchAsync<T>(string? ns, string resourceVersion, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;
}
