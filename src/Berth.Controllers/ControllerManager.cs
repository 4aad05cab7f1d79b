using Berth.Controllers.Client;
using Berth.Controllers.Disruption;
using Berth.Controllers.Endpoints;
using Berth.Controllers.Events;
using Berth.Controllers.GarbageCollection;
using Berth.Controllers.Runtime;
using Berth.Controllers.Scheduling;
using Berth.Controllers.Simulation;
using Berth.Controllers.StatefulSets;
using Berth.Controllers.Volumes;

namespace Berth.Controllers;

/// <summary>
/// The composition of every controller over one <see cref="IApiClient"/> (kube-controller-manager + scheduler +
/// the simulated kubelet): shared informers, the StatefulSet controller, the garbage collector, the PV binder and
/// local-path provisioner, the disruption controller, the Endpoints and EndpointSlice controllers, the scheduler and,
/// with `--runtime simulated`, the simulated node.
/// </summary>
public sealed class ControllerManager : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly InformerFactory _informers;
    private readonly EventRecorder _controllerEvents;
    private readonly EventRecorder _schedulerEvents;
    private readonly EventRecorder _nodeEvents;
    private readonly EventRecorder _volumeEvents;
    private readonly EventRecorder _disruptionEvents;
    private readonly StatefulSetController _statefulSets;
    private readonly GarbageCollector _garbageCollector;
    private readonly PersistentVolumeController _volumes;
    private readonly DisruptionController _disruption;
    private readonly Scheduler _scheduler;
    private readonly EndpointsController _endpoints;
    private readonly EndpointSliceController _endpointSlices;
    private readonly SimulatedNode? _node;
    private readonly ControllerManagerOptions _options;
    private readonly IApiClient _client;
    private readonly List<Task> _running = [];

    public ControllerManager(IApiClient client, TimeProvider time, ControllerManagerOptions? options = null)
    {
        _client = client;
        _options = options ?? new ControllerManagerOptions();
        _informers = new InformerFactory(client, time);
        _controllerEvents = new EventRecorder(client, time, "statefulset-controller");
        _schedulerEvents = new EventRecorder(client, time, "default-scheduler");
        _nodeEvents = new EventRecorder(client, time, "kubelet", _options.NodeName);
        _statefulSets = new StatefulSetController(_informers, _controllerEvents, _options.StatefulSetWorkers);
        _garbageCollector = new GarbageCollector(_informers);
        _volumeEvents = new EventRecorder(client, time, "persistentvolume-controller");
        _volumes = new PersistentVolumeController(_informers, _volumeEvents, _options.DataDir, _options.NodeName);
        // upstream's disruption controller records as "controllermanager".
        _disruptionEvents = new EventRecorder(client, time, "controllermanager");
        _disruption = new DisruptionController(_informers, _disruptionEvents);
        _scheduler = new Scheduler(_informers, _schedulerEvents, _options.NodeName);
        _endpoints = new EndpointsController(_informers);
        _endpointSlices = new EndpointSliceController(_informers);
        if (_options.SimulatedNode)
        {
            _node = new SimulatedNode(_informers, _nodeEvents, _options.Simulation with { NodeName = _options.NodeName });
        }
    }

    /// <summary>StatefulSet syncs so far (benchmarks report it).</summary>
    public long StatefulSetSyncs => _statefulSets.SyncCount;

    /// <summary>Starts everything; returns once the informer caches are synced.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_options.CreateDefaultStorageClass)
        {
            await StorageClasses.EnsureDefaultAsync(_client, cancellationToken).ConfigureAwait(false);
        }

        if (_node is not null)
        {
            await _node.RegisterAsync(cancellationToken).ConfigureAwait(false);
        }

        var ct = _stop.Token;
        _informers.Start(ct);
        await _informers.WaitForCacheSyncAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _running.Add(_statefulSets.RunAsync(ct));
        _running.Add(_garbageCollector.RunAsync(ct));
        _running.Add(_volumes.RunAsync(ct));
        _running.Add(_disruption.RunAsync(ct));
        _running.Add(_scheduler.RunAsync(ct));
        _running.Add(_endpoints.RunAsync(ct));
        _running.Add(_endpointSlices.RunAsync(ct));
        if (_node is not null)
        {
            _running.Add(_node.RunAsync(ct));
        }
    }

    /// <summary>Waits until queued events are written (tests assert on them).</summary>
    public async Task FlushEventsAsync()
    {
        await _controllerEvents.FlushAsync().ConfigureAwait(false);
        await _schedulerEvents.FlushAsync().ConfigureAwait(false);
        await _nodeEvents.FlushAsync().ConfigureAwait(false);
        await _volumeEvents.FlushAsync().ConfigureAwait(false);
        await _disruptionEvents.FlushAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_running).ConfigureAwait(false);
            await _informers.StoppedAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        await _controllerEvents.DisposeAsync().ConfigureAwait(false);
        await _schedulerEvents.DisposeAsync().ConfigureAwait(false);
        await _nodeEvents.DisposeAsync().ConfigureAwait(false);
        await _volumeEvents.DisposeAsync().ConfigureAwait(false);
        await _disruptionEvents.DisposeAsync().ConfigureAwait(false);
        _statefulSets.Dispose();
        _garbageCollector.Dispose();
        _volumes.Dispose();
        _disruption.Dispose();
        _scheduler.Dispose();
        _endpoints.Dispose();
        _endpointSlices.Dispose();
        _node?.Dispose();
        _stop.Dispose();
    }
}
