namespace Berth.Node.Runtime;

/// <summary>
/// One run of a container: the process tree <c>outer bwrap → pod PID 1 (inner bwrap) → payload</c>
/// (runtime-probe.md §6), its log file and its end.
/// </summary>
public sealed class ContainerProcess
{
    internal ContainerProcess(string containerName, int outerPid, int pid1, int payloadPid, int stopSignal,
        DateTimeOffset startedAt, string logPath, Task<ContainerExit> exited)
    {
        ContainerName = containerName;
        OuterPid = outerPid;
        Pid1 = pid1;
        PayloadPid = payloadPid;
        StopSignal = stopSignal;
        StartedAt = startedAt;
        LogPath = logPath;
        Exited = exited;
    }

    public string ContainerName { get; }

    /// <summary>Host PID of the container's PID 1 (the inner bwrap): SIGKILL here kills the whole pid namespace.</summary>
    public int Pid1 { get; }

    /// <summary>Host PID of the payload (PID 2 inside): the stop signal goes here, since bwrap forwards none.</summary>
    public int PayloadPid { get; }

    /// <summary>
    /// Host PID of the outer bwrap, captured at start: the Process object is disposed as soon as the tree exits,
    /// which for a payload that exits at once can be before the handle is even built.
    /// </summary>
    public int OuterPid { get; }

    /// <summary>The image's STOPSIGNAL (SIGTERM unless the catalog says otherwise: SIGINT for postgres, SIGQUIT for nginx).</summary>
    public int StopSignal { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The CRI-format log file of this run.</summary>
    public string LogPath { get; }

    /// <summary>Completes when the process tree has exited and its output is flushed.</summary>
    public Task<ContainerExit> Exited { get; }

    /// <summary>The environment the payload started with (the image's, then the container's): kubectl exec gets it too.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>The container's workingDir (or the image's), where exec'd commands start.</summary>
    internal string WorkingDir { get; init; } = "/";

    internal long? RunAsUser { get; init; }

    internal long? RunAsGroup { get; init; }

    /// <summary>The payload's stdin when the container asked for one (<c>stdin: true</c>), for kubectl attach.</summary>
    internal Stream? Stdin { get; init; }

    /// <summary>The container's cgroup when it has one (limits were set and the host allows them); exec'd processes join it.</summary>
    internal CgroupHandle? Cgroup { get; init; }

    internal volatile bool StopRequested;
}
