using Berth.ApiServer.Client;
using Berth.Controllers.Client;
using Berth.Controllers.Tests.Fakes;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>
/// The real in-process client (<see cref="InProcessApiClient"/>: the server's registry pipeline, validation,
/// admission, conflicts, resourceVersions) with the controllers' calls recorded as <see cref="FakeAction"/>s, so
/// the same scenario tests run against the fake and against the real server.
/// </summary>
public sealed class ServerApiClient(InProcessApiClient inner) : ITestApi
{
    private readonly Lock _gate = new();
    private readonly List<FakeAction> _actions = [];

    public IReadOnlyList<FakeAction> Actions
    {
        get
        {
            lock (_gate)
            {
                return [.. _actions];
            }
        }
    }

    public void ClearActions()
    {
        lock (_gate)
        {
            _actions.Clear();
        }
    }

    public List<T> All<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        inner.ListAsync<T>(ns).GetAwaiter().GetResult().Items.ToList();

    public T? Peek<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        inner.GetAsync<T>(ns, name).GetAwaiter().GetResult();

    public Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("create", obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? obj.Metadata?.GenerateName ?? "");
        return inner.CreateAsync(obj, cancellationToken);
    }

    public Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("get", ns, name);
        return inner.GetAsync<T>(ns, name, cancellationToken);
    }

    public Task<ApiList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("list", ns, "");
        return inner.ListAsync<T>(ns, labelSelector, cancellationToken);
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("update", obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");
        return inner.UpdateAsync(obj, cancellationToken);
    }

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("update", obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "", "status");
        return inner.UpdateStatusAsync(obj, cancellationToken);
    }

    public Task<T> PatchAsync<T>(string? ns, string name, PatchType patchType, ReadOnlyMemory<byte> patch, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("patch", ns, name);
        return inner.PatchAsync<T>(ns, name, patchType, patch, cancellationToken);
    }

    public Task DeleteAsync<T>(string? ns, string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record<T>("delete", ns, name);
        return inner.DeleteAsync<T>(ns, name, options, cancellationToken);
    }

    public Task BindAsync(V1Binding binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        lock (_gate)
        {
            _actions.Add(new FakeAction("create", "pods", binding.Metadata.NamespaceProperty, binding.Metadata.Name, "binding"));
        }

        return inner.BindAsync(binding, cancellationToken);
    }

    public IAsyncEnumerable<ApiWatchEvent<T>> WatchAsync<T>(string? ns, string resourceVersion, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => inner.WatchAsync<T>(ns, resourceVersion, cancellationToken);

    private void Record<T>(string verb, string? ns, string name, string? subresource = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var plural = ResourceOf<T>.Descriptor.Plural;
        lock (_gate)
        {
            _actions.Add(new FakeAction(verb, plural, ns, name, subresource));
        }
    }
}
