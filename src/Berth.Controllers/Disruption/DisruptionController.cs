using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Controllers.Disruption;

/// <summary>
/// The disruption controller (upstream pkg/controller/disruption): keeps every PodDisruptionBudget's status
/// (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed, observedGeneration, the DisruptionAllowed
/// condition and the disruptedPods map the eviction subresource writes) from the pods its selector picks and, for
/// maxUnavailable and percentages, the scale of their StatefulSets. The eviction subresource spends
/// status.disruptionsAllowed; this controller earns it back as pods become ready again. A budget that cannot be
/// computed fails safe: no disruptions, condition False with reason SyncFailed.
/// </summary>
internal sealed class DisruptionController : IDisposable
{
    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly Informer<V1PodDisruptionBudget> _budgets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1StatefulSet> _sets;
    private readonly WorkQueue _queue;
    private readonly EventRecorder _recorder;

    public DisruptionController(InformerFactory informers, EventRecorder recorder)
    {
        _client = informers.Client;
        _time = informers.Time;
        _recorder = recorder;
        _budgets = informers.For<V1PodDisruptionBudget>();
        _pods = informers.For<V1Pod>();
        _sets = informers.For<V1StatefulSet>();
        _queue = new WorkQueue(_time);
        _budgets.AddHandler(new InformerHandler<V1PodDisruptionBudget>(Enqueue, (_, b) => Enqueue(b), Enqueue));
        _pods.AddHandler(new InformerHandler<V1Pod>(EnqueueBudgetsOf, UpdatePod, EnqueueBudgetsOf));
    }

    public Task RunAsync(CancellationToken cancellationToken) => _queue.RunWorkersAsync(1, SyncAsync, cancellationToken);

    public void Dispose() => _queue.Dispose();

    private void Enqueue(V1PodDisruptionBudget budget) => _queue.Add(ObjectKeys.Of(budget));

    private void UpdatePod(V1Pod oldPod, V1Pod pod)
    {
        if (oldPod.Metadata.ResourceVersion == pod.Metadata.ResourceVersion)
        {
            return;
        }

        EnqueueBudgetsOf(pod);
        if (!LabelsEqual(oldPod, pod))
        {
            // A budget that selected the pod before its labels changed must recount too.
            EnqueueBudgetsOf(oldPod);
        }
    }

    /// <summary>
    /// getPdbForPod, except that every matching budget is synced: upstream picks one arbitrarily (and warns), which
    /// would leave the others stale.
    /// </summary>
    private void EnqueueBudgetsOf(V1Pod pod)
    {
        foreach (var budget in _budgets.ListNamespace(pod.Metadata.NamespaceProperty))
        {
            if (LabelSelectors.Matches(budget.Spec?.Selector, pod.Metadata.Labels))
            {
                Enqueue(budget);
            }
        }
    }

    private async Task SyncAsync(string key, CancellationToken ct)
    {
        var budget = _budgets.GetByKey(key);
        if (budget is null)
        {
            return;
        }

        try
        {
            await TrySyncAsync(key, budget, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsConflict)
        {
            // A newer budget (an eviction spent a disruption meanwhile): retried from the cache, no fail-safe.
            throw;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ApiException)
        {
            await FailSafeAsync(budget, e.Message, ct).ConfigureAwait(false);
        }
    }

    private async Task TrySyncAsync(string key, V1PodDisruptionBudget budget, CancellationToken ct)
    {
        var spec = budget.Spec ?? new V1PodDisruptionBudgetSpec();
        var pods = _pods.ListNamespace(budget.Metadata.NamespaceProperty)
            .Where(p => LabelSelectors.Matches(spec.Selector, p.Metadata.Labels))
            .ToList();
        if (pods.Count == 0)
        {
            _recorder.Event(budget, EventRecorder.Normal, "NoPods", "No matching pods found");
        }

        int expected, desired;
        List<string> unmanaged;
        try
        {
            (expected, desired, unmanaged) = DisruptionBudgets.ExpectedPodCount(spec, pods, ScaleOf);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            _recorder.Event(budget, EventRecorder.Warning, "CalculateExpectedPodCountFailed", $"Failed to calculate the number of expected pods: {e.Message}");
            throw;
        }

        if (unmanaged.Count > 0)
        {
            _recorder.Event(budget, EventRecorder.Warning, "UnmanagedPods",
                $"Pods selected by this PodDisruptionBudget (selector: {LabelSelectors.Format(spec.Selector!)}) were found to be unmanaged. "
                + "As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. "
                + "To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var (disrupted, recheck, overdue) = DisruptionBudgets.DisruptedPods(budget.Status?.DisruptedPods, pods, now);
        foreach (var pod in overdue)
        {
            _recorder.Event(pod, EventRecorder.Warning, "NotDeleted",
                $"Pod was expected by PDB {budget.Metadata.NamespaceProperty}/{budget.Metadata.Name} to be deleted but it wasn't");
        }

        var healthy = DisruptionBudgets.CountHealthy(pods, disrupted, now);
        await UpdateStatusAsync(budget, healthy, desired, expected, disrupted, ct).ConfigureAwait(false);
        if (recheck is { } at)
        {
            _queue.AddAfter(key, at - now);
        }
    }

    /// <summary>The finders: only StatefulSets exist in Berth, checked by UID as upstream's getPodStatefulSet does.</summary>
    private int? ScaleOf(string ns, V1OwnerReference controller)
    {
        if (controller.Kind != "StatefulSet" || !(controller.ApiVersion ?? string.Empty).StartsWith("apps/", StringComparison.Ordinal))
        {
            return null;
        }

        var set = _sets.Get(ns, controller.Name);
        return set is null || set.Metadata.Uid != controller.Uid ? null : set.Spec?.Replicas ?? 1;
    }

    private async Task UpdateStatusAsync(V1PodDisruptionBudget budget, int healthy, int desired, int expected,
        Dictionary<string, DateTime> disrupted, CancellationToken ct)
    {
        var allowed = DisruptionBudgets.DisruptionsAllowed(healthy, desired, expected);
        var status = budget.Status;
        if (status is not null && status.CurrentHealthy == healthy && status.DesiredHealthy == desired
            && status.ExpectedPods == expected && status.DisruptionsAllowed == allowed
            && SameDisrupted(status.DisruptedPods, disrupted) && status.ObservedGeneration == budget.Metadata.Generation
            && DisruptionBudgets.ConditionsAreUpToDate(budget))
        {
            return;
        }

        var copy = ModelCopy.Clone(budget);
        var generation = budget.Metadata.Generation;
        copy.Status = new V1PodDisruptionBudgetStatus
        {
            CurrentHealthy = healthy,
            DesiredHealthy = desired,
            ExpectedPods = expected,
            DisruptionsAllowed = allowed,
            DisruptedPods = disrupted.Count == 0 ? null : disrupted.ToDictionary(kv => kv.Key, kv => (DateTime?)kv.Value, StringComparer.Ordinal),
            ObservedGeneration = generation,
            Conditions = DisruptionBudgets.SetCondition(copy.Status?.Conditions, DisruptionBudgets.AllowedCondition(allowed, generation),
                _time.GetUtcNow().UtcDateTime),
        };
        await WriteAsync(copy, ct).ConfigureAwait(false);
    }

    /// <summary>failSafe: no disruptions and DisruptionAllowed=False (SyncFailed) with the error as message.</summary>
    private async Task FailSafeAsync(V1PodDisruptionBudget budget, string message, CancellationToken ct)
    {
        var copy = ModelCopy.Clone(budget);
        copy.Status ??= new V1PodDisruptionBudgetStatus();
        copy.Status.DisruptionsAllowed = 0;
        copy.Status.Conditions = DisruptionBudgets.SetCondition(copy.Status.Conditions, new V1Condition
        {
            Type = DisruptionBudgets.DisruptionAllowedCondition,
            Status = "False",
            Reason = DisruptionBudgets.SyncFailedReason,
            Message = message,
            ObservedGeneration = copy.Status.ObservedGeneration,
        }, _time.GetUtcNow().UtcDateTime);
        await WriteAsync(copy, ct).ConfigureAwait(false);
    }

    private async Task WriteAsync(V1PodDisruptionBudget copy, CancellationToken ct)
    {
        try
        {
            await _client.UpdateStatusAsync(copy, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            // Deleted meanwhile.
        }
    }

    private static bool SameDisrupted(IDictionary<string, DateTime?>? a, Dictionary<string, DateTime> b)
    {
        if (a is null || a.Count == 0)
        {
            return b.Count == 0;
        }

        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var t) && t.ToUniversalTime() == kv.Value?.ToUniversalTime());
    }

    private static bool LabelsEqual(V1Pod a, V1Pod b)
    {
        var la = a.Metadata.Labels ?? new Dictionary<string, string>();
        var lb = b.Metadata.Labels ?? new Dictionary<string, string>();
        return la.Count == lb.Count && la.All(kv => lb.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
