using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.Scheduling;

/// <summary>
/// A one-node scheduler with upstream's VolumeBinding behaviour: a pod is bound (pods/binding) only once every
/// PersistentVolumeClaim it mounts is Bound. Claims of a WaitForFirstConsumer class are handed to the provisioner
/// by the <c>volume.kubernetes.io/selected-node</c> annotation; a missing claim, or a claim that cannot bind
/// (no such StorageClass, Immediate class unbound), leaves the pod Pending with PodScheduled=False, reason
/// Unschedulable and a FailedScheduling event in upstream's words. A cordoned node (spec.unschedulable, as
/// `kubectl cordon|drain` set it) takes no new pods (upstream's NodeUnschedulable plugin) until it is uncordoned.
/// </summary>
internal sealed class Scheduler : IDisposable
{
    public const string SelectedNodeAnnotation = "volume.kubernetes.io/selected-node";
    private const string DefaultSchedulerName = "default-scheduler";

    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly string _nodeName;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1StorageClass> _classes;
    private readonly Informer<V1Node> _nodes;
    private readonly WorkQueue _queue;
    private readonly EventRecorder _recorder;

    public Scheduler(InformerFactory informers, EventRecorder recorder, string nodeName)
    {
        _client = informers.Client;
        _time = informers.Time;
        _nodeName = nodeName;
        _recorder = recorder;
        _pods = informers.For<V1Pod>();
        _claims = informers.For<V1PersistentVolumeClaim>();
        _classes = informers.For<V1StorageClass>();
        _nodes = informers.For<V1Node>();
        _queue = new WorkQueue(_time);
        _pods.AddIndexer(IndexNames.ClaimName, p => (p.Spec?.Volumes ?? [])
            .Where(v => v.PersistentVolumeClaim is not null)
            .Select(v => p.Metadata.NamespaceProperty + "/" + v.PersistentVolumeClaim.ClaimName));
        _pods.AddHandler(new InformerHandler<V1Pod>(Enqueue, (_, p) => Enqueue(p), null));
        _claims.AddHandler(new InformerHandler<V1PersistentVolumeClaim>(EnqueueUsers, (_, c) => EnqueueUsers(c), EnqueueUsers));
        _classes.AddHandler(new InformerHandler<V1StorageClass>(_ => EnqueueAll(), (_, _) => EnqueueAll(), _ => EnqueueAll()));
        _nodes.AddHandler(new InformerHandler<V1Node>(_ => EnqueueAll(), (old, node) =>
        {
            if (old.Spec?.Unschedulable != node.Spec?.Unschedulable)
            {
                EnqueueAll();
            }
        }, null));
    }

    public Task RunAsync(CancellationToken cancellationToken) => _queue.RunWorkersAsync(1, ScheduleAsync, cancellationToken);

    public void Dispose() => _queue.Dispose();

    private static bool Unscheduled(V1Pod p) =>
        string.IsNullOrEmpty(p.Spec?.NodeName) && p.Metadata.DeletionTimestamp is null
        && (p.Spec?.SchedulerName ?? DefaultSchedulerName) == DefaultSchedulerName
        && p.Status?.Phase is null or "Pending";

    private void Enqueue(V1Pod pod)
    {
        if (Unscheduled(pod))
        {
            _queue.Add(ObjectKeys.Of(pod));
        }
    }

    /// <summary>A claim changed: only the pods mounting it can become schedulable.</summary>
    private void EnqueueUsers(V1PersistentVolumeClaim claim)
    {
        foreach (var p in _pods.ByIndex(IndexNames.ClaimName, ObjectKeys.Of(claim)))
        {
            Enqueue(p);
        }
    }

    private void EnqueueAll()
    {
        foreach (var p in _pods.List())
        {
            Enqueue(p);
        }
    }

    private async Task ScheduleAsync(string key, CancellationToken ct)
    {
        var pod = _pods.GetByKey(key);
        if (pod is null || !Unscheduled(pod))
        {
            return;
        }

        var ns = pod.Metadata.NamespaceProperty;
        if (_nodes.Get(null, _nodeName)?.Spec?.Unschedulable == true
            && !(pod.Spec.Tolerations ?? []).Any(t => t.Key == "node.kubernetes.io/unschedulable" && t.Effect == "NoSchedule"))
        {
            await MarkUnschedulableAsync(pod, "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: "
                + "1 Preemption is not helpful for scheduling.", ct).ConfigureAwait(false);
            return;
        }

        string? problem = null;
        var waiting = false;
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim?.ClaimName is not { } claimName)
            {
                continue;
            }

            var claim = _claims.Get(ns, claimName);
            if (claim is null)
            {
                problem = $"persistentvolumeclaim \"{claimName}\" not found";
                break;
            }

            if (claim.Metadata.DeletionTimestamp is not null)
            {
                problem = $"persistentvolumeclaim \"{claimName}\" is being deleted";
                break;
            }

            if (claim.Status?.Phase == "Bound" && !string.IsNullOrEmpty(claim.Spec?.VolumeName))
            {
                continue;
            }

            var className = claim.Spec?.StorageClassName ?? DefaultClassName();
            var storageClass = className is null ? null : _classes.Get(null, className);
            if (storageClass?.VolumeBindingMode != "WaitForFirstConsumer")
            {
                // A missing class counts as Immediate binding, as upstream's VolumeBinding plugin does.
                problem = "1 pod has unbound immediate PersistentVolumeClaims";
                break;
            }

            waiting = true;
            if (claim.Metadata.Annotation(SelectedNodeAnnotation) != _nodeName)
            {
                var copy = ModelCopy.Clone(claim);
                copy.Metadata.Annotations ??= new Dictionary<string, string>();
                copy.Metadata.Annotations[SelectedNodeAnnotation] = _nodeName;
                await _client.UpdateAsync(copy, ct).ConfigureAwait(false);
            }
        }

        if (problem is not null)
        {
            await MarkUnschedulableAsync(pod, $"0/1 nodes are available: {problem}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.", ct)
                .ConfigureAwait(false);
            return;
        }

        if (waiting)
        {
            // PreBind waits for the provisioner; the claim update will requeue this pod.
            return;
        }

        try
        {
            await _client.BindAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = ns, Uid = pod.Metadata.Uid },
                Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = _nodeName },
            }, ct).ConfigureAwait(false);
            _recorder.Event(pod, EventRecorder.Normal, "Scheduled", $"Successfully assigned {ns}/{pod.Metadata.Name} to {_nodeName}");
        }
        catch (ApiException e) when (e.IsNotFound || e.IsConflict)
        {
            // Deleted or already bound meanwhile.
        }
    }

    private string? DefaultClassName() =>
        _classes.List().FirstOrDefault(c => c.Metadata.Annotation(Volumes.StorageClasses.IsDefaultClassAnnotation) == "true")?.Metadata.Name;

    private async Task MarkUnschedulableAsync(V1Pod pod, string message, CancellationToken ct)
    {
        var existing = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (existing is { Status: "False", Reason: "Unschedulable" } && existing.Message == message)
        {
            return;
        }

        _recorder.Event(pod, EventRecorder.Warning, "FailedScheduling", message);
        var copy = ModelCopy.Clone(pod);
        copy.Status ??= new V1PodStatus { Phase = "Pending" };
        copy.Status.Conditions = [.. (copy.Status.Conditions ?? []).Where(c => c.Type != "PodScheduled"),
            new V1PodCondition
            {
                Type = "PodScheduled",
                Status = "False",
                Reason = "Unschedulable",
                Message = message,
                LastTransitionTime = _time.GetUtcNow().UtcDateTime,
            }];
        try
        {
            await _client.UpdateStatusAsync(copy, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            // Gone.
        }
    }
}
