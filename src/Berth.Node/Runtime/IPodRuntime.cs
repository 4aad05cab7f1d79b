using System.Net.Sockets;
using k8s.Models;

namespace Berth.Node.Runtime;

/// <summary>
/// The seam the node agent drives from pod specs (CRI-shaped: sandbox, then containers in it). The sandbox
/// runtime runs real processes; a simulated one can run nothing.
/// </summary>
public interface IPodRuntime : IAsyncDisposable
{
    /// <summary>
    /// Creates the pod's network namespace and address, overlay root, /etc/hosts and /etc/resolv.conf, and emptyDir
    /// volumes. <paramref name="volumeSources"/> maps every other volume name to the host directory the agent
    /// resolved for it (a PV's directory, rendered configMap files).
    /// </summary>
    Task<PodSandbox> RunPodSandboxAsync(V1Pod pod, IReadOnlyDictionary<string, string> volumeSources, CancellationToken cancellationToken);

    /// <summary>Starts one run of a container; <paramref name="environment"/> is the fully resolved env, in order.</summary>
    /// <exception cref="ContainerStartException">The image, a mount or the command is unusable.</exception>
    Task<ContainerProcess> StartContainerAsync(PodSandbox sandbox, V1Container container,
        IReadOnlyList<KeyValuePair<string, string>> environment, int restartCount, CancellationToken cancellationToken);

    /// <summary>Stop signal to the payload, SIGKILL to the container's PID 1 after <paramref name="gracePeriod"/>.</summary>
    Task<ContainerExit> StopContainerAsync(ContainerProcess container, TimeSpan gracePeriod, CancellationToken cancellationToken);

    /// <summary>Runs a command in the container's namespaces (exec probes; kubectl exec later).</summary>
    Task<ExecResult> ExecAsync(ContainerProcess container, IReadOnlyList<string> command,
        IReadOnlyList<KeyValuePair<string, string>> environment, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a command in the container's namespaces with its streams connected (kubectl exec): the container's
    /// environment, user and working directory; a pseudo-terminal when <paramref name="tty"/>.
    /// </summary>
    Task<IExecSession> StartExecAsync(ContainerProcess container, IReadOnlyList<string> command, bool stdin, bool tty,
        CancellationToken cancellationToken);

    /// <summary>A TCP connection to the pod's address, made from inside the hub namespace.</summary>
    Task<Socket> ConnectAsync(PodSandbox sandbox, int port, CancellationToken cancellationToken);

    /// <summary>Kills what is left, unmounts the overlay, removes the namespace, cgroups, emptyDirs and state.</summary>
    Task RemovePodSandboxAsync(PodSandbox sandbox, CancellationToken cancellationToken);
}
