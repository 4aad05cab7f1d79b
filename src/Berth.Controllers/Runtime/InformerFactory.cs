using Berth.Controllers.Client;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Runtime;

/// <summary>
/// One informer per resource type, shared by every controller in the process (client-go's
/// SharedInformerFactory), so each watch event is decoded and cached once.
/// </summary>
internal sealed class InformerFactory(IApiClient client, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Type, IInformer> _informers = [];
    private readonly List<Task> _running = [];
    private CancellationToken _started;
    private bool _isStarted;

    public IApiClient Client => client;

    public TimeProvider Time => time;

    public Informer<T> For<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate)
        {
            if (_informers.TryGetValue(typeof(T), out var existing))
            {
                return (Informer<T>)existing;
            }

            var informer = new Informer<T>(client, time);
            informer.AddIndexer(IndexNames.ControllerUid, ControllerUidIndex);
            informer.AddIndexer(IndexNames.OwnerUid, o => o.Metadata.OwnerReferences?.Select(r => r.Uid) ?? []);
            _informers[typeof(T)] = informer;
            if (_isStarted)
            {
                _running.Add(Task.Run(() => informer.RunAsync(_started), _started));
            }

            return informer;
        }
    }

    public void Start(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _started = cancellationToken;
            _isStarted = true;
            foreach (var informer in _informers.Values)
            {
                _running.Add(Task.Run(() => informer.RunAsync(cancellationToken), cancellationToken));
            }
        }
    }

    public Task WaitForCacheSyncAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_informers.Values.Select(i => i.Synced));
        }
    }

    /// <summary>Completes once every informer loop has stopped (after cancellation).</summary>
    public Task StoppedAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_running);
        }
    }

    internal static IEnumerable<string> ControllerUidIndex<T>(T obj)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var controller = obj.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
        return [controller?.Uid ?? "orphan/" + obj.Metadata.NamespaceProperty];
    }
}
