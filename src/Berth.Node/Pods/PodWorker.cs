using System.Threading.Channels;
using Berth.Node.Probes;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Pods;

/// <summary>
/// Runs one pod on a runtime the way kubelet's pod worker does: the sandbox, then initContainers one at a time to
/// completion, then every app container under its own supervisor (restartPolicy, CrashLoopBackOff, probes). It
/// keeps kubelet-shaped container statuses and reports every change, event and probe transition on
/// <see cref="Events"/>. Time (back-off, probe periods) comes from the injected TimeProvider.
/// </summary>
public sealed partial class PodWorker : IAsyncDisposable
{
    private readonly IPodRuntime _runtime;
    private readonly V1Pod _pod;
    private readonly PodWorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ProbeRunner _probes;
    private readonly Channel<PodEvent> _events = Channel.CreateUnbounded<PodEvent>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _killNow = new();
    private List<ContainerProcess> _stoppingProcesses = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1ContainerStatus> _initStatuses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1ContainerStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerProcess> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _restartPending = new(StringComparer.Ordinal);
    private PodSandbox? _sandbox;
    private Task? _loop;
    private string _phase = "Pending";
    private bool _initialized;
    private bool _initFailed;
    private DateTimeOffset? _startTime;

    public PodWorker(IPodRuntime runtime, V1Pod pod, PodWorkerOptions? options = null)
    {
        _runtime = runtime;
        _pod = pod;
        _options = options ?? new PodWorkerOptions();
        _time = _options.TimeProvider;
        _probes = new ProbeRunner(runtime, _time);
        foreach (var c in pod.Spec.InitContainers ?? [])
        {
            _initStatuses[c.Name] = NewStatus(c, ContainerReasons.PodInitializing);
        }

        var appWaiting = pod.Spec.InitContainers is { Count: > 0 } ? ContainerReasons.PodInitializing : ContainerReasons.ContainerCreating;
        foreach (var c in pod.Spec.Containers)
        {
            _statuses[c.Name] = NewStatus(c, appWaiting);
        }
    }

    public ChannelReader<PodEvent> Events => _events.Reader;

    public PodSandbox? Sandbox => _sandbox;

    public V1Pod Pod => _pod;

    public string Phase
    {
        get
        {
            lock (_lock)
            {
                return _phase;
            }
        }
    }

    /// <summary>Completes when every container has finished for good (or the pod was stopped).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>The running process of a container, if any (for exec, logs, tests).</summary>
    public ContainerProcess? RunningContainer(string name)
    {
        lock (_lock)
        {
            return _running.GetValueOrDefault(name);
        }
    }

    private string PodRef => $"{_pod.Metadata.Name}_{_pod.Metadata.NamespaceProperty ?? "default"}({_pod.Metadata.Uid})";

    private static V1ContainerStatus NewStatus(V1Container c, string waitingReason) => new()
    {
        Name = c.Name,
        Image = c.Image,
        ImageID = "",
        Ready = false,
        Started = false,
        RestartCount = 0,
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = waitingReason } },
    };

    private async Task RunAsync()
    {
        var ct = _stopping.Token;
        try
        {
            // kubelet retries a sandbox it could not create on every sync, with back-off.
            var sandboxBackoff = TimeSpan.FromSeconds(1);
            while (_sandbox is null)
            {
                try
                {
                    _sandbox = await _runtime.RunPodSandboxAsync(_pod, _options.VolumeSources, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ContainerStartException or IOException or InvalidOperationException)
                {
                    Emit(new KubeletEvent(_time.GetUtcNow(), "Warning", "FailedCreatePodSandBox",
                        $"Failed to create pod sandbox: {e.Message}", null));
                    await Task.Delay(sandboxBackoff, _time, ct).ConfigureAwait(false);
                    sandboxBackoff = TimeSpan.FromTicks(Math.Min(sandboxBackoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }

            lock (_lock)
            {
                _startTime = _time.GetUtcNow();
            }

            // The pod has its address now (status.podIP, PodReadyToStartContainers) even while still Pending.
            Emit(new PodPhaseChanged(_time.GetUtcNow(), Phase, _sandbox.PodIP.ToString()));
            UpdatePhase();
            var initContainers = _pod.Spec.InitContainers ?? [];
            foreach (var init in initContainers)
            {
                if (!await RunInitContainerAsync(init, ct).ConfigureAwait(false))
                {
                    return;
                }
            }

            lock (_lock)
            {
                _initialized = true;
            }

            UpdatePhase();
            await Task.WhenAll(_pod.Spec.Containers.Select(c => Task.Run(() => SuperviseAsync(c, ct), CancellationToken.None)))
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            UpdatePhase();
        }
    }

    /// <summary>Runs an init container until it succeeds; false when the pod cannot go on.</summary>
    private async Task<bool> RunInitContainerAsync(V1Container init, CancellationToken ct)
    {
        var backoff = new RestartBackoff();
        var restartCount = 0;
        while (!ct.IsCancellationRequested)
        {
            var exit = await RunOnceAsync(init, isInit: true, restartCount, ct).ConfigureAwait(false);
            if (exit is { ExitCode: 0 })
            {
                return true;
            }

            if (ct.IsCancellationRequested)
            {
                return false;
            }

            if (exit is not null && _pod.Spec.RestartPolicy == "Never")
            {
                lock (_lock)
                {
                    _initFailed = true;
                }

                UpdatePhase();
                return false;
            }

            await BackOffAsync(init, isInit: true, backoff, exit, ct).ConfigureAwait(false);
            restartCount++;
        }

        return false;
    }

    private async Task SuperviseAsync(V1Container container, CancellationToken ct)
    {
        var backoff = new RestartBackoff();
        var restartCount = 0;
        while (!ct.IsCancellationRequested)
        {
            var exit = await RunOnceAsync(container, isInit: false, restartCount, ct).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                return;
            }

            if (exit is not null && !WillRestart(exit))
            {
                UpdatePhase();
                return;
            }

            await BackOffAsync(container, isInit: false, backoff, exit, ct).ConfigureAwait(false);
            restartCount++;
        }
    }

    private bool WillRestart(ContainerExit exit) => (_pod.Spec.RestartPolicy ?? "Always") switch
    {
        "Never" => false,
        "OnFailure" => exit.ExitCode != 0,
        _ => true,
    };

    private async Task BackOffAsync(V1Container container, bool isInit, RestartBackoff backoff, ContainerExit? exit, CancellationToken ct)
    {
        var delay = backoff.Next(exit?.FinishedAt ?? _time.GetUtcNow());
        if (exit is null && delay < RestartBackoff.Initial)
        {
            // A container that could not even be created (bad image, missing key) is retried on kubelet's sync period.
            delay = RestartBackoff.Initial;
        }

        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        if (exit is not null)
        {
            Emit(new KubeletEvent(_time.GetUtcNow(), "Warning", "BackOff",
                $"Back-off restarting failed container {container.Name} in pod {PodRef}", FieldPath(container, isInit)));
            // kubelet's CrashLoopBackOff wording (kuberuntime_manager.go doBackOff).
            SetStatus(container.Name, isInit, s =>
            {
                // The run that just ended becomes lastState while the container waits (kubectl shows "2 (5s ago)").
                if (s.State?.Terminated is { } ended)
                {
                    s.LastState = new V1ContainerState { Terminated = ended };
                }

                s.State = new V1ContainerState
                {
                    Waiting = new V1ContainerStateWaiting
                    {
                        Reason = ContainerReasons.CrashLoopBackOff,
                        Message = $"back-off {GoDuration.Format(delay)} restarting failed container={container.Name} pod={PodRef}",
                    },
                };
            });
        }

        await Task.Delay(delay, _time, ct).ConfigureAwait(false);
    }

    private static string FieldPath(V1Container c, bool isInit) => $"spec.{(isInit ? "initContainers" : "containers")}{{{c.Name}}}";

    /// <summary>One run of a container; null when it could not be started (the status then says why).</summary>
    private async Task<ContainerExit?> RunOnceAsync(V1Container container, bool isInit, int restartCount, CancellationToken ct)
    {
        var sandbox = _sandbox!;
        var field = FieldPath(container, isInit);
        ContainerProcess process;
        IReadOnlyList<KeyValuePair<string, string>> env;
        try
        {
            env = EnvironmentBuilder.Build(_pod, container, sandbox.PodIP.ToString(), _options.EnvSources);
            var expanded = Expand(container, env);
            if (restartCount == 0)
            {
                Emit(new KubeletEvent(_time.GetUtcNow(), "Normal", "Pulled",
                    $"Container image \"{container.Image}\" already present on machine", field));
            }

            process = await _runtime.StartContainerAsync(sandbox, expanded, env, restartCount, ct).ConfigureAwait(false);
        }
        catch (ContainerStartException e) when (!e.IsStartError)
        {
            Emit(new KubeletEvent(_time.GetUtcNow(), "Warning", "Failed", $"Error: {e.Message}", field));
            SetStatus(container.Name, isInit, s => s.State = new V1ContainerState
            {
                Waiting = new V1ContainerStateWaiting { Reason = e.Reason, Message = e.Message },
            });
            return null;
        }
        catch (ContainerStartException e)
        {
            // runc failed to exec the command: the container terminates with 128 and StartError (kubelet shows it so).
            var now = _time.GetUtcNow();
            var exit = new ContainerExit(128, ContainerReasons.StartError, e.Message, now, now);
            Emit(new KubeletEvent(now, "Warning", "Failed", $"Error: failed to start container \"{container.Name}\": {e.Message}", field));
            SetTerminated(container.Name, isInit, exit, restartCount);
            return exit;
        }

        Emit(new KubeletEvent(_time.GetUtcNow(), "Normal", "Created", $"Created container {container.Name}", field));
        Emit(new KubeletEvent(_time.GetUtcNow(), "Normal", "Started", $"Started container {container.Name}", field));
        lock (_lock)
        {
            _running[container.Name] = process;
            _restartPending.Remove(container.Name);
        }

        SetStatus(container.Name, isInit, s =>
        {
            if (s.State?.Terminated is { } previous)
            {
                s.LastState = new V1ContainerState { Terminated = previous };
            }

            s.RestartCount = restartCount;
            s.ContainerID = $"berth://{process.Pid1}";
            s.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = process.StartedAt.UtcDateTime } };
            s.Started = !isInit && container.StartupProbe is null;
            s.Ready = !isInit && container.StartupProbe is null && container.ReadinessProbe is null;
        });
        UpdatePhase();

        using var probeStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var probes = isInit ? Task.CompletedTask : RunProbesAsync(container, process, env, probeStop.Token);
        ContainerExit result;
        try
        {
            result = await process.Exited.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The pod is being stopped: StopAsync owns the process now.
            await probeStop.CancelAsync().ConfigureAwait(false);
            await probes.ConfigureAwait(false);
            return null;
        }

        await probeStop.CancelAsync().ConfigureAwait(false);
        await probes.ConfigureAwait(false);
        lock (_lock)
        {
            _running.Remove(container.Name);
        }

        SetTerminated(container.Name, isInit, result, restartCount);
        return result;
    }

    private V1Container Expand(V1Container container, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (container.Command is null && container.Args is null)
        {
            return container;
        }

        var map = env.ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal);
        // Copy rather than `with`: KubernetesClient records share nested collections (csharp-anchors.md A1).
        return new V1Container
        {
            Name = container.Name,
            Image = container.Image,
            Command = container.Command?.Select(x => VariableExpansion.Expand(x, k => map.GetValueOrDefault(k))).ToList(),
            Args = container.Args?.Select(x => VariableExpansion.Expand(x, k => map.GetValueOrDefault(k))).ToList(),
            WorkingDir = container.WorkingDir,
            VolumeMounts = container.VolumeMounts,
            Resources = container.Resources,
            SecurityContext = container.SecurityContext,
            Ports = container.Ports,
            Env = container.Env,
            EnvFrom = container.EnvFrom,
            Stdin = container.Stdin,
            Tty = container.Tty,
        };
    }

    private void SetTerminated(string name, bool isInit, ContainerExit exit, int restartCount)
    {
        if (!isInit && !_stopping.IsCancellationRequested && WillRestart(exit))
        {
            lock (_lock)
            {
                _restartPending.Add(name);
            }
        }

        SetStatus(name, isInit, s =>
        {
            s.RestartCount = restartCount;
            s.Ready = false;
            s.Started = false;
            s.State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = exit.ExitCode,
                    Signal = exit.Signal,
                    Reason = exit.Reason,
                    Message = exit.Message,
                    StartedAt = exit.StartedAt.UtcDateTime,
                    FinishedAt = exit.FinishedAt.UtcDateTime,
                    ContainerID = s.ContainerID,
                },
            };
        });
        UpdatePhase();
    }

    private void SetStatus(string name, bool isInit, Action<V1ContainerStatus> change)
    {
        V1ContainerStatus copy;
        lock (_lock)
        {
            var s = (isInit ? _initStatuses : _statuses)[name];
            change(s);
            copy = Clone(s);
        }

        Emit(new ContainerStatusChanged(_time.GetUtcNow(), isInit, copy));
    }

    private static V1ContainerStatus Clone(V1ContainerStatus s) => new()
    {
        Name = s.Name,
        Image = s.Image,
        ImageID = s.ImageID,
        ContainerID = s.ContainerID,
        Ready = s.Ready,
        Started = s.Started,
        RestartCount = s.RestartCount,
        State = s.State,
        LastState = s.LastState,
    };

    private void UpdatePhase()
    {
        string phase;
        string? ip;
        lock (_lock)
        {
            phase = ComputePhase();
            if (phase == _phase)
            {
                return;
            }

            _phase = phase;
            ip = _sandbox?.PodIP.ToString();
        }

        Emit(new PodPhaseChanged(_time.GetUtcNow(), phase, ip));
    }

    // kubelet's getPhase (pkg/kubelet/kubelet_pods.go), reduced to what this worker tracks.
    private string ComputePhase()
    {
        if (_initFailed)
        {
            return "Failed";
        }

        if (!_initialized)
        {
            return "Pending";
        }

        int running = 0, waiting = 0, succeeded = 0, failed = 0;
        foreach (var s in _statuses.Values)
        {
            if (s.State?.Running is not null)
            {
                running++;
            }
            else if (s.State?.Terminated is { } t)
            {
                if (_restartPending.Contains(s.Name))
                {
                    running++;
                }
                else if (t.ExitCode == 0)
                {
                    succeeded++;
                }
                else
                {
                    failed++;
                }
            }
            else if (s.State?.Waiting is not null && s.LastState?.Terminated is not null)
            {
                // Restarting after a crash still counts as running (CrashLoopBackOff pods are Running).
                running++;
            }
            else
            {
                waiting++;
            }
        }

        if (waiting > 0)
        {
            return "Pending";
        }

        if (running > 0)
        {
            return "Running";
        }

        return failed > 0 ? "Failed" : "Succeeded";
    }

    private void Emit(PodEvent e) => _events.Writer.TryWrite(e);

    /// <summary>
    /// A pod status like a kubelet's: phase, conditions (PodScheduled, Initialized, ContainersReady, Ready),
    /// podIP(s), startTime and the container statuses.
    /// </summary>
    public V1PodStatus BuildStatus()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var containersReady = _statuses.Values.All(s => s.Ready);
            var ready = containersReady && ReadinessGatesTrue();
            V1PodCondition Condition(string type, bool status, string? reason = null) =>
                new() { Type = type, Status = status ? "True" : "False", Reason = status ? null : reason, LastTransitionTime = now };
            var ip = _sandbox?.PodIP.ToString();
            return new V1PodStatus
            {
                Phase = _phase,
                PodIP = ip,
                PodIPs = ip is null ? null : [new V1PodIP { Ip = ip }],
                StartTime = _startTime?.UtcDateTime,
                Conditions =
                [
                    Condition("PodReadyToStartContainers", _sandbox is not null),
                    Condition("PodScheduled", true),
                    Condition("Initialized", _initialized, "ContainersNotInitialized"),
                    Condition("ContainersReady", containersReady, "ContainersNotReady"),
                    Condition("Ready", ready, "ContainersNotReady"),
                ],
                InitContainerStatuses = _pod.Spec.InitContainers is { Count: > 0 } ? [.. _initStatuses.Values.Select(Clone)] : null,
                ContainerStatuses = [.. _statuses.Values.Select(Clone)],
            };
        }
    }

    // Readiness gates are set by other controllers through conditions Berth does not track here.
    private bool ReadinessGatesTrue() => _pod.Spec.ReadinessGates is not { Count: > 0 };

    /// <summary>
    /// Graceful deletion: preStop hooks, then each running container's stop signal, SIGKILL after the grace period
    /// (terminationGracePeriodSeconds, default 30 s), then the sandbox is removed.
    /// </summary>
    public async Task StopAsync(TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        var grace = gracePeriod ?? TimeSpan.FromSeconds(_pod.Spec.TerminationGracePeriodSeconds ?? 30);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        List<(string Name, ContainerProcess Process)> running;
        lock (_lock)
        {
            running = [.. _running.Select(x => (x.Key, x.Value))];
            _running.Clear();
        }

        lock (_lock)
        {
            _stoppingProcesses = [.. running.Select(r => r.Process)];
        }

        var start = _time.GetTimestamp();
        await Task.WhenAll(running.Select(async r =>
        {
            var spec = _pod.Spec.Containers.FirstOrDefault(c => c.Name == r.Name);
            var isInit = spec is null;
            spec ??= _pod.Spec.InitContainers!.First(c => c.Name == r.Name);
            Emit(new KubeletEvent(_time.GetUtcNow(), "Normal", "Killing", $"Stopping container {r.Name}", FieldPath(spec, isInit)));
            if (spec.Lifecycle?.PreStop?.Exec?.Command is { Count: > 0 } preStop)
            {
                using var hookStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _killNow.Token);
                try
                {
                    var env = r.Process.Environment.Count > 0 ? r.Process.Environment
                        : EnvironmentBuilder.Build(_pod, spec, _sandbox?.PodIP.ToString(), _options.EnvSources);
                    var result = await _runtime.ExecAsync(r.Process, [.. preStop], env, grace, hookStop.Token).ConfigureAwait(false);
                    if (result.ExitCode != 0)
                    {
                        Emit(new KubeletEvent(_time.GetUtcNow(), "Warning", "FailedPreStopHook",
                            $"PreStopHook failed: {(result.StandardOutput + result.StandardError).Trim()}", FieldPath(spec, isInit)));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or ContainerStartException)
                {
                    // Killed at once (a forced deletion while the hook ran), or the hook could not run.
                }
            }

            var left = _killNow.IsCancellationRequested ? TimeSpan.Zero : grace - _time.GetElapsedTime(start);
            var exit = await _runtime.StopContainerAsync(r.Process, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)
                .ConfigureAwait(false);
            SetTerminated(r.Name, isInit, exit, (isInit ? _initStatuses : _statuses)[r.Name].RestartCount);
        })).ConfigureAwait(false);

        if (_sandbox is not null)
        {
            await _runtime.RemovePodSandboxAsync(_sandbox, cancellationToken).ConfigureAwait(false);
        }

        _events.Writer.TryComplete();
    }

    /// <summary>
    /// Cuts a graceful stop short (a forced deletion arrived while the pod terminated): running preStop hooks are
    /// abandoned and every container still running is killed now.
    /// </summary>
    public void KillNow()
    {
        try
        {
            _killNow.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        List<ContainerProcess> processes;
        lock (_lock)
        {
            processes = [.. _stoppingProcesses];
        }

        foreach (var p in processes)
        {
            _ = _runtime.StopContainerAsync(p, TimeSpan.Zero, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _killNow.Dispose();
    }
}
