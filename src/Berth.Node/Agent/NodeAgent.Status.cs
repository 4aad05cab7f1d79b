using System.Text;
using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using Berth.Node.Runtime;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Node.Agent;

public sealed partial class NodeAgent
{
    // kubelet's order of the pod conditions it owns (status manager output).
    private static readonly string[] OwnedConditions = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

    /// <summary>
    /// Writes the pod's status when it differs from what the API has (and from what this agent last wrote, so a
    /// server-side normalisation can never make a write loop). Bursts of worker events are coalesced by the work
    /// queue: one sync, one write.
    /// </summary>
    private async Task WriteStatusAsync(ManagedPod m, CancellationToken ct)
    {
        var pod = m.Pod;
        var desired = BuildStatus(m, pod);
        var json = Encoding.UTF8.GetString(BerthJson.SerializeToUtf8Bytes(desired));
        if (json == m.LastWrittenStatus || (pod.Status is not null && json == Encoding.UTF8.GetString(BerthJson.SerializeToUtf8Bytes(pod.Status))))
        {
            return;
        }

        var copy = ModelCopy.Clone(pod);
        copy.Status = desired;
        try
        {
            await _client.WriteStatusAsync(copy, ct).ConfigureAwait(false);
            m.LastWrittenStatus = json;
        }
        catch (ApiException e) when (e.IsConflict)
        {
            // Our copy was stale; the informer brings the new version, and this retry covers a quiet one.
            _queue.AddAfter(m.Key, TimeSpan.FromMilliseconds(50));
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    /// <summary>
    /// The worker's kubelet-shaped status (or a Pending one while the pod cannot start), with what the agent owns on
    /// top: hostIP, conditions whose lastTransitionTime moves only when their status flips, the scheduler's
    /// PodScheduled, readiness gates, and conditions other components own kept as they are.
    /// </summary>
    internal V1PodStatus BuildStatus(ManagedPod m, V1Pod pod)
    {
        var status = m.Worker?.BuildStatus() ?? PendingStatus(pod, m.WaitingReason ?? ContainerReasons.ContainerCreating, m.WaitingMessage);
        var old = pod.Status;
        status.HostIP = _options.HostIP;
        status.HostIPs = [new V1HostIP { Ip = _options.HostIP }];
        status.QosClass = old?.QosClass;
        status.NominatedNodeName = old?.NominatedNodeName;
        status.StartTime = Seconds(status.StartTime);

        var containers = status.ContainerStatuses ?? [];
        var notReady = containers.Where(c => !c.Ready).Select(c => c.Name).ToList();
        var initIncomplete = (status.InitContainerStatuses ?? [])
            .Where(c => c.State?.Terminated is not { ExitCode: 0 }).Select(c => c.Name).ToList();
        var gates = pod.Spec.ReadinessGates ?? [];
        var gatesFalse = gates.Where(g => old?.Conditions?.FirstOrDefault(c => c.Type == g.ConditionType)?.Status != "True")
            .Select(g => g.ConditionType).ToList();

        var conditions = new List<V1PodCondition>();
        foreach (var type in OwnedConditions)
        {
            var mine = status.Conditions?.FirstOrDefault(c => c.Type == type);
            var previous = old?.Conditions?.FirstOrDefault(c => c.Type == type);
            if (type == "PodScheduled" && previous is not null)
            {
                // The scheduler's condition (set by the binding) is not ours to rewrite.
                conditions.Add(previous);
                continue;
            }

            if (mine is null)
            {
                continue;
            }

            if (type == "Ready" && gates.Count > 0 && notReady.Count == 0)
            {
                // kubelet's GeneratePodReadyCondition: ready containers and every readiness gate's condition True.
                mine.Status = gatesFalse.Count == 0 ? "True" : "False";
                mine.Reason = gatesFalse.Count == 0 ? null : "ReadinessGatesNotReady";
                var gateStatus = gatesFalse.Count == 0 ? null : old?.Conditions?.FirstOrDefault(c => c.Type == gatesFalse[0])?.Status;
                mine.Message = gatesFalse.Count == 0 ? null
                    : gateStatus is null ? $"corresponding condition of pod readiness gate \"{gatesFalse[0]}\" does not exist."
                    : $"the status of pod readiness gate \"{gatesFalse[0]}\" is not \"True\", but {gateStatus}";
            }
            else if (mine.Status == "False" && type is "Ready" or "ContainersReady" && mine.Reason == "ContainersNotReady")
            {
                mine.Message = $"containers with unready status: [{string.Join(' ', notReady)}]";
            }
            else if (mine.Status == "False" && type == "Initialized")
            {
                mine.Message = $"containers with incomplete status: [{string.Join(' ', initIncomplete)}]";
            }

            mine.LastProbeTime = null;
            mine.LastTransitionTime = previous?.Status == mine.Status ? previous.LastTransitionTime : Seconds(mine.LastTransitionTime);
            conditions.Add(mine);
        }

        conditions.AddRange((old?.Conditions ?? []).Where(c => !OwnedConditions.Contains(c.Type)));
        status.Conditions = conditions;
        foreach (var c in (status.InitContainerStatuses ?? []).Concat(containers))
        {
            TruncateTimes(c.State);
            TruncateTimes(c.LastState);
        }

        return status;
    }

    /// <summary>A pod that cannot start yet: Pending, every container waiting with <paramref name="reason"/>.</summary>
    private static V1PodStatus PendingStatus(V1Pod pod, string reason, string? message)
    {
        var hasInit = pod.Spec.InitContainers is { Count: > 0 };
        V1ContainerStatus Waiting(V1Container c, string why, string? text) => new()
        {
            Name = c.Name,
            Image = c.Image,
            ImageID = "",
            Ready = false,
            Started = false,
            RestartCount = 0,
            State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = why, Message = text } },
        };
        V1PodCondition Condition(string type, bool value, string? why) =>
            new() { Type = type, Status = value ? "True" : "False", Reason = value ? null : why };

        return new V1PodStatus
        {
            Phase = "Pending",
            Conditions =
            [
                Condition("PodReadyToStartContainers", false, null),
                Condition("Initialized", !hasInit, "ContainersNotInitialized"),
                Condition("Ready", false, "ContainersNotReady"),
                Condition("ContainersReady", false, "ContainersNotReady"),
                Condition("PodScheduled", true, null),
            ],
            InitContainerStatuses = hasInit ? [.. pod.Spec.InitContainers!.Select((c, i) => Waiting(c, i == 0 ? reason : "PodInitializing", i == 0 ? message : null))] : null,
            ContainerStatuses = [.. pod.Spec.Containers.Select(c => Waiting(c, hasInit ? "PodInitializing" : reason, hasInit ? null : message))],
        };
    }

    // metav1.Time has second precision on the wire; keeping ours the same makes "unchanged" compare equal.
    private static DateTime? Seconds(DateTime? time) =>
        time is { } t ? new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc) : null;

    private static void TruncateTimes(V1ContainerState? state)
    {
        if (state?.Running is { } running)
        {
            running.StartedAt = Seconds(running.StartedAt);
        }

        if (state?.Terminated is { } terminated)
        {
            terminated.StartedAt = Seconds(terminated.StartedAt);
            terminated.FinishedAt = Seconds(terminated.FinishedAt);
        }
    }
}
