using System.Globalization;
using System.Net.Sockets;
using Berth.Controllers.Runtime;
using Berth.Core.Streaming;
using Berth.Node.Logs;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Agent;

public sealed partial class NodeAgent
{
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(2);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ContainerProcess, object> _attachedOnce = [];

    /// <summary>kubelet's GET containerLogs: the current run's CRI log, or the previous run's with previous=true.</summary>
    public async Task StreamLogsAsync(PodLogRequest request, Stream output, CancellationToken cancellationToken)
    {
        var (pod, m) = FindPod(request.Namespace, request.Pod);
        FindContainer(pod, request.Container);
        var worker = m?.Worker;
        var sandbox = worker?.Sandbox;
        var runs = sandbox is null ? [] : LogRuns(sandbox, request.Container);
        string path;
        if (request.Previous)
        {
            if (runs.Count < 2)
            {
                throw BadRequest($"previous terminated container \"{request.Container}\" in pod \"{pod.Metadata.Name}\" not found");
            }

            path = runs[^2];
        }
        else
        {
            if (runs.Count == 0)
            {
                throw BadRequest($"container \"{request.Container}\" in pod \"{pod.Metadata.Name}\" is waiting to start: {WaitingReason(pod, m, request.Container)}");
            }

            path = runs[^1];
        }

        // Follow ends with the run that writes the file (kubelet stops following when the container stops).
        var running = worker?.RunningContainer(request.Container);
        var runEnded = !request.Previous && running is not null && running.LogPath == path ? running.Exited : null;
        var since = request.SinceTime ?? (request.SinceSeconds is { } s ? _time.GetUtcNow() - TimeSpan.FromSeconds(s) : null);
        await ContainerLogReader.WriteAsync(path, new LogReadOptions
        {
            Follow = request.Follow,
            Timestamps = request.Timestamps,
            TailLines = request.TailLines,
            SinceTime = since,
            LimitBytes = request.LimitBytes,
        }, output, runEnded, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// kubectl exec (a command in the container's namespaces with its streams connected, a terminal with tty) or, with
    /// no command, kubectl attach to the container's main process.
    /// </summary>
    public async Task<int> ExecAsync(PodExecRequest request, PodExecStreams streams, CancellationToken cancellationToken)
    {
        var (pod, m) = FindPod(request.Namespace, request.Pod);
        var spec = FindContainer(pod, request.Container);
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            // upstream's apiserver check in the exec/attach location lookup.
            throw BadRequest($"cannot exec into a container in a completed pod; current phase is {pod.Status.Phase}");
        }

        var process = m?.Worker?.RunningContainer(request.Container)
            ?? throw BadRequest($"unable to upgrade connection: container not found (\"{request.Container}\")");
        if (request.Command.Count == 0)
        {
            return await AttachAsync(process, spec, request, streams, cancellationToken).ConfigureAwait(false);
        }

        IExecSession session;
        try
        {
            session = await _runtime.StartExecAsync(process, request.Command, request.Stdin && streams.Stdin is not null, request.Tty,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            throw new PodStreamingException(500, "InternalError", $"error executing command in container: {e.Message}");
        }

        await using (session.ConfigureAwait(false))
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var resize = streams.Resize is { } sizes ? ResizeAsync(sizes, session, done.Token) : Task.CompletedTask;
            var input = session.Stdin is { } toProcess && streams.Stdin is { } fromClient
                ? CopyInputAsync(fromClient, toProcess, closeAtEnd: !request.Tty, done.Token)
                : Task.CompletedTask;
            var stdout = CopyOutputAsync(session.Stdout, streams.Stdout, CancellationToken.None);
            var stderr = session.Stderr is { } err ? CopyOutputAsync(err, streams.Stderr, CancellationToken.None) : Task.CompletedTask;
            int code;
            using (cancellationToken.Register(session.Kill))
            {
                code = await session.Exited.ConfigureAwait(false);
            }

            // Output written just before the exit is still in the pipes; a background child holding them open is not waited for.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(OutputDrain, _time, CancellationToken.None)).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
            await IgnoreCancellation(input).ConfigureAwait(false);
            await IgnoreCancellation(resize).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return code;
        }
    }

    /// <summary>
    /// kubectl attach: the main process's output from now on (its log, split back into stdout and stderr), and the
    /// client's input into its stdin when the container has one (<c>stdin: true</c>). The main process runs without a
    /// terminal, so a TTY request gets the same plain streams. Returns the container's exit code if it ends.
    /// </summary>
    private async Task<int> AttachAsync(ContainerProcess process, V1Container spec, PodExecRequest request, PodExecStreams streams,
        CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var input = Task.CompletedTask;
        if (request.Stdin && streams.Stdin is { } fromClient && process.Stdin is { } toProcess)
        {
            input = CopyInputAsync(fromClient, toProcess, closeAtEnd: spec.StdinOnce == true, done.Token);
        }

        // Better than upstream: the first attach to a stdinOnce container (kubectl run -i, kubectl debug) gets the run's
        // output from its start, so a command that printed before kubectl attached is not lost (upstream prints "If you
        // don't see a command prompt" for that race). Later attaches start at the current end, as upstream.
        var fromStart = spec.Stdin == true && spec.StdinOnce == true && _attachedOnce.TryAdd(process, string.Empty);
        var output = ContainerLogReader.AttachAsync(process.LogPath, streams.Stdout, request.Tty ? streams.Stdout : streams.Stderr,
            process.Exited, _time, done.Token, fromStart);
        try
        {
            await Task.WhenAny(output, process.Exited).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (process.Exited.IsCompleted)
            {
                await output.WaitAsync(OutputDrain, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await IgnoreCancellation(input).ConfigureAwait(false);
            await IgnoreCancellation(output).ConfigureAwait(false);
        }

        return process.Exited.IsCompleted ? (await process.Exited.ConfigureAwait(false)).ExitCode : 0;
    }

    /// <summary>A TCP connection to the pod's port, opened inside the hub namespace (the host has no route to pods).</summary>
    public async Task<Stream> PortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        var (found, m) = FindPod(@namespace, pod);
        var sandbox = m?.Worker?.Sandbox;
        if (sandbox is null || found.Status?.Phase is "Succeeded" or "Failed")
        {
            throw BadRequest($"unable to do port forwarding: pod {pod} is not running");
        }

        if (port is <= 0 or > 65535)
        {
            throw BadRequest($"invalid port {port.ToString(CultureInfo.InvariantCulture)}");
        }

        try
        {
            var socket = await _runtime.ConnectAsync(sandbox, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            // kubelet's wording for a port nothing listens on.
            throw new PodStreamingException(500, "InternalError",
                $"error forwarding port {port.ToString(CultureInfo.InvariantCulture)} to pod {found.Metadata.Uid}, uid : " +
                $"failed to execute portforward in network namespace: dial tcp4 {sandbox.PodIP}:{port.ToString(CultureInfo.InvariantCulture)}: " +
                $"connect: {Describe(e)}");
        }
    }

    private (V1Pod Pod, ManagedPod? Managed) FindPod(string ns, string name)
    {
        var pod = _pods.Get(ns, name) ?? throw new PodStreamingException(404, "NotFound", $"pods \"{name}\" not found");
        ManagedPod? m;
        lock (_gate)
        {
            _managed.TryGetValue(ObjectKeys.Of(ns, name), out m);
        }

        return (pod, m?.Uid == pod.Metadata.Uid ? m : null);
    }

    private static V1Container FindContainer(V1Pod pod, string name) =>
        pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(c => c.Name == name)
        ?? throw BadRequest($"container {name} is not valid for pod {pod.Metadata.Name}");

    private string WaitingReason(V1Pod pod, ManagedPod? m, string container)
    {
        var status = m is null ? pod.Status : BuildStatus(m, pod);
        var all = (status?.ContainerStatuses ?? []).Concat(status?.InitContainerStatuses ?? []);
        return all.FirstOrDefault(c => c.Name == container)?.State?.Waiting?.Reason ?? ContainerReasons.ContainerCreating;
    }

    /// <summary>Every run's log file of a container, oldest first (file N.log is the run after N restarts).</summary>
    private static List<string> LogRuns(PodSandbox sandbox, string container)
    {
        var dir = Path.Combine(sandbox.LogDirectory, container);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(dir, "*.log")
            .Select(f => (Path: f, Ok: int.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n), N: n))
            .Where(x => x.Ok)
            .OrderBy(x => x.N)
            .Select(x => x.Path)];
    }

    private static async Task ResizeAsync(System.Threading.Channels.ChannelReader<TerminalSize> sizes, IExecSession session, CancellationToken ct)
    {
        await foreach (var size in sizes.ReadAllAsync(ct).ConfigureAwait(false))
        {
            session.Resize(size.Width, size.Height);
        }
    }

    private static async Task CopyInputAsync(Stream from, Stream to, bool closeAtEnd, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                await to.FlushAsync(ct).ConfigureAwait(false);
            }

            if (closeAtEnd)
            {
                // The client closed its stdin: so does the command's (EOF), as the CRI streaming server does.
                await to.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private static async Task CopyOutputAsync(Stream from, Stream? to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (to is not null)
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    await to.FlushAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to host",
        SocketError.TimedOut => "i/o timeout",
        _ => e.Message,
    };

    private static PodStreamingException BadRequest(string message) => new(400, "BadRequest", message);
}
