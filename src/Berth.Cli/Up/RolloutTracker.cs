using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using k8s;
using k8s.Models;

namespace Berth.Cli.Up;

/// <summary>
/// Watches StatefulSets, pods, PVCs and events (list + watch informers over the API client) and reports the progress
/// of the StatefulSets <c>berth up</c> applied whenever any of them changes.
/// </summary>
internal sealed class RolloutTracker : IAsyncDisposable
{
    private readonly Informer<V1StatefulSet> _sets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<Corev1Event> _events;
    private readonly IReadOnlyList<(string Namespace, string Name)> _targets;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    public RolloutTracker(IApiClient client, IReadOnlyList<(string Namespace, string Name)> targets)
    {
        _targets = targets;
        _sets = Watch<V1StatefulSet>(client);
        _pods = Watch<V1Pod>(client);
        _claims = Watch<V1PersistentVolumeClaim>(client);
        _events = Watch<Corev1Event>(client);
    }

    /// <summary>Completes once every informer has listed.</summary>
    public Task Synced => Task.WhenAll(_sets.Synced, _pods.Synced, _claims.Synced, _events.Synced);

    public void Start()
    {
        foreach (var informer in (IInformer[])[_sets, _pods, _claims, _events])
        {
            _running.Add(Task.Run(() => informer.RunAsync(_stop.Token), CancellationToken.None));
        }
    }

    /// <summary>The progress of every target, in the order the manifests named them.</summary>
    public IReadOnlyList<StatefulSetProgress> Snapshot()
    {
        var events = new EventIndex(_events.List());
        return [.. _targets.Select(t => RolloutReport.Describe(t.Namespace, t.Name, _sets.Get(t.Namespace, t.Name),
            _pods.ListNamespace(t.Namespace), claim => _claims.Get(t.Namespace, claim), events))];
    }

    /// <summary>Waits until something changed since the last call, or <paramref name="timeout"/> passed.</summary>
    public async Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await _changed.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            // Coalesce a burst of events into one redraw.
            while (_changed.CurrentCount > 0 && await _changed.WaitAsync(0, cancellationToken).ConfigureAwait(false))
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _changed.Dispose();
    }

    private Informer<T> Watch<T>(IApiClient client)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = new Informer<T>(client, TimeProvider.System);
        informer.AddHandler(new InformerHandler<T>(_ => Signal(), (_, _) => Signal(), _ => Signal()));
        return informer;
    }

    private void Signal()
    {
        // A bounded signal: many events between two redraws need only one wake-up.
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }
}
