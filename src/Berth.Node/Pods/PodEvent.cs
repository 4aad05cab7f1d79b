using k8s.Models;

namespace Berth.Node.Pods;

/// <summary>What a pod worker reports; the node agent turns these into Events and status writes.</summary>
public abstract record PodEvent(DateTimeOffset Time);

/// <summary>
/// A kubelet-style event (Pulled, Created, Started, Killing, Unhealthy, BackOff, Failed), with the involved
/// object's fieldPath (<c>spec.containers{name}</c>) as kubelet sets it.
/// </summary>
public sealed record KubeletEvent(DateTimeOffset Time, string Type, string Reason, string Message, string? FieldPath) : PodEvent(Time);

/// <summary>A container's status changed (state, lastState, ready, started, restartCount).</summary>
public sealed record ContainerStatusChanged(DateTimeOffset Time, bool IsInit, V1ContainerStatus Status) : PodEvent(Time);

/// <summary>A probe's result changed; sent on every transition, like kubelet's results manager.</summary>
public sealed record ProbeResultChanged(DateTimeOffset Time, string Container, ProbeKind Kind, bool Success, string Output) : PodEvent(Time);

/// <summary>The pod's phase or IP changed.</summary>
public sealed record PodPhaseChanged(DateTimeOffset Time, string Phase, string? PodIP) : PodEvent(Time);
