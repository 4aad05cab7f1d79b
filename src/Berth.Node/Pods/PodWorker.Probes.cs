using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Pods;

public sealed partial class PodWorker
{
    /// <summary>
    /// kubelet's probe workers for one container run (pkg/kubelet/prober/worker.go): the startup probe first; once it
    /// succeeds (or when there is none) liveness and readiness run side by side. Each waits initialDelaySeconds,
    /// then probes every periodSeconds; a result flips after successThreshold / failureThreshold consecutive
    /// outcomes. A failed liveness or startup probe kills the container (which restarts per restartPolicy).
    /// </summary>
    private async Task RunProbesAsync(V1Container container, ContainerProcess process, IReadOnlyList<KeyValuePair<string, string>> env,
        CancellationToken ct)
    {
        try
        {
            if (container.StartupProbe is { } startup)
            {
                if (!await ProbeLoopAsync(container, process, env, ProbeKind.Startup, startup, ct).ConfigureAwait(false))
                {
                    return;
                }

                SetStatus(container.Name, false, s =>
                {
                    s.Started = true;
                    s.Ready = container.ReadinessProbe is null;
                });
            }

            var loops = new List<Task>();
            if (container.LivenessProbe is { } liveness)
            {
                loops.Add(ProbeLoopAsync(container, process, env, ProbeKind.Liveness, liveness, ct));
            }

            if (container.ReadinessProbe is { } readiness)
            {
                loops.Add(ProbeLoopAsync(container, process, env, ProbeKind.Readiness, readiness, ct));
            }

            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Probes until cancelled; for a startup probe, returns true once it succeeds.</summary>
    private async Task<bool> ProbeLoopAsync(V1Container container, ContainerProcess process, IReadOnlyList<KeyValuePair<string, string>> env,
        ProbeKind kind, V1Probe probe, CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        var successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1);
        var failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
        // Initial results as kubelet's: liveness and startup "success"/unknown until proven otherwise; readiness false.
        bool? result = kind == ProbeKind.Readiness ? false : null;
        int successes = 0, failures = 0;
        var field = FieldPath(container, isInit: false);
        var label = kind.ToString();

        if (probe.InitialDelaySeconds is > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds.Value), _time, ct).ConfigureAwait(false);
        }

        // Where Berth does better than kubelet: until a readiness probe first succeeds, a failure within its first
        // period is retried after 100 ms (doubling) without counting or an Unhealthy event, so a server that needs
        // a moment to listen is Ready then instead of a whole period later. From the end of the first period on, it
        // is kubelet's cadence and counting.
        var warmingUp = kind == ProbeKind.Readiness;
        var firstAttempt = _time.GetTimestamp();
        var retry = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested && !process.Exited.IsCompleted)
        {
            var (ok, output) = await _probes.RunAsync(_sandbox!, process, container, probe, env, ct).ConfigureAwait(false);
            if (ct.IsCancellationRequested || process.Exited.IsCompleted)
            {
                break;
            }

            if (!ok && warmingUp && period - _time.GetElapsedTime(firstAttempt) is var left && left > TimeSpan.Zero)
            {
                await Task.Delay(retry < left ? retry : left, _time, ct).ConfigureAwait(false);
                retry *= 2;
                continue;
            }

            warmingUp = false;
            if (ok)
            {
                successes++;
                failures = 0;
            }
            else
            {
                failures++;
                successes = 0;
                Emit(new KubeletEvent(_time.GetUtcNow(), "Warning", "Unhealthy", $"{label} probe failed: {output}", field));
            }

            bool? next = ok ? (successes >= successThreshold ? true : result) : (failures >= failureThreshold ? false : result);
            if (next != result && next is not null)
            {
                result = next;
                Emit(new ProbeResultChanged(_time.GetUtcNow(), container.Name, kind, next.Value, output));
                if (kind == ProbeKind.Readiness)
                {
                    SetStatus(container.Name, false, s => s.Ready = next.Value);
                }
                else if (kind == ProbeKind.Startup && next.Value)
                {
                    return true;
                }
                else if (!next.Value)
                {
                    // Liveness or startup failed: kill with the pod's grace period; the supervisor restarts it.
                    Emit(new KubeletEvent(_time.GetUtcNow(), "Normal", "Killing",
                        $"Container {container.Name} failed {label.ToLowerInvariant()} probe, will be restarted", field));
                    var grace = TimeSpan.FromSeconds(probe.TerminationGracePeriodSeconds ?? _pod.Spec.TerminationGracePeriodSeconds ?? 30);
                    _ = _runtime.StopContainerAsync(process, grace, CancellationToken.None);
                    return false;
                }
            }

            await Task.Delay(period, _time, ct).ConfigureAwait(false);
        }

        return false;
    }
}
