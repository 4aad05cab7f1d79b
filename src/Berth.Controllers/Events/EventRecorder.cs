using System.Globalization;
using System.Threading.Channels;
using Berth.Controllers.Client;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Events;

/// <summary>
/// client-go's EventRecorder/EventBroadcaster: events are queued and written as core/v1 Events by a background
/// loop so a sync never waits on them. Repeats of the same (object, type, reason, message) update the existing
/// Event's count and lastTimestamp instead of creating a new one (the correlator's aggregation, simplified).
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new() { SingleReader = true });
    private readonly Dictionary<string, Corev1Event> _seen = new(StringComparer.Ordinal);
    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly string _component;
    private readonly string? _host;
    private readonly Task _loop;
    private long _sequence;

    public EventRecorder(IApiClient client, TimeProvider time, string component, string? host = null)
    {
        _client = client;
        _time = time;
        _component = component;
        _host = host;
        _loop = Task.Run(RunAsync);
    }

    /// <param name="fieldPath">The part of the object the event is about, as kubelet sets it (<c>spec.containers{name}</c>).</param>
    public void Event(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, string? fieldPath = null)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var meta = obj.Metadata;
        var name = meta.Name + "." + (now.Ticks + Interlocked.Increment(ref _sequence)).ToString("x", CultureInfo.InvariantCulture);
        _queue.Writer.TryWrite(new Item(new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = string.IsNullOrEmpty(meta.NamespaceProperty) ? "default" : meta.NamespaceProperty },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = obj.ApiVersion,
                Kind = obj.Kind,
                Name = meta.Name,
                NamespaceProperty = meta.NamespaceProperty,
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
                FieldPath = fieldPath,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = _component, Host = _host },
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            ReportingComponent = _component,
            ReportingInstance = _host ?? string.Empty,
        }, null));
    }

    /// <summary>Completes when every event queued so far has been written (tests and shutdown).</summary>
    public async Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite(new Item(null, done));
        await done.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (item.Event is { } e)
            {
                await WriteAsync(e).ConfigureAwait(false);
            }

            item.Flush?.TrySetResult();
        }
    }

    private async Task WriteAsync(Corev1Event e)
    {
        var key = string.Join('\0', e.InvolvedObject.Uid, e.InvolvedObject.Name, e.InvolvedObject.FieldPath, e.Type, e.Reason, e.Message);
        try
        {
            if (_seen.TryGetValue(key, out var previous))
            {
                previous.Count = (previous.Count ?? 1) + 1;
                previous.LastTimestamp = e.LastTimestamp;
                try
                {
                    _seen[key] = await _client.UpdateAsync(previous).ConfigureAwait(false);
                    return;
                }
                catch (ApiException)
                {
                    // The aggregate is gone or stale (e.g. expired by TTL): start a new one below.
                    _seen.Remove(key);
                }
            }

            _seen[key] = await _client.CreateAsync(e).ConfigureAwait(false);
            if (_seen.Count > 4096)
            {
                _seen.Clear();
            }
        }
#pragma warning disable CA1031 // events are best effort, as upstream: a failed write is dropped, never retried in a loop
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed record Item(Corev1Event? Event, TaskCompletionSource? Flush);
}
