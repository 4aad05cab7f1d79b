namespace Berth.Node.Images;

/// <summary>
/// How to run one image from the host filesystem: what its Dockerfile's ENTRYPOINT, CMD, WORKDIR, ENV and
/// STOPSIGNAL would have been, plus an optional entrypoint script (embedded resource or file) that emulates the
/// official image's docker-entrypoint.sh, and files the image would carry (written into the pod's writable layer).
/// </summary>
public sealed record ImageEntry
{
    /// <summary>Repository name as written in pod specs without registry or tag: "postgres", "nginx", "myorg/app".</summary>
    public required string Name { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyList<string>? Cmd { get; init; }

    public string? WorkingDir { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Signal name or number: SIGTERM (default), SIGINT, SIGQUIT, ...</summary>
    public string StopSignal { get; init; } = "SIGTERM";

    /// <summary>Script text bound read-only at <see cref="ImageCatalog.EntrypointPath"/> and used as ENTRYPOINT.</summary>
    public string? EntrypointScript { get; init; }

    /// <summary>Files the image carries (absolute path → content), written into the pod's overlay unless present.</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    /// <summary>Run argv[0] through /bin/busybox when it names an applet (the busybox image's /bin is all applets).</summary>
    public bool BusyboxApplets { get; init; }
}
