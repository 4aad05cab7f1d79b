using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Berth.Node.Images;
using k8s.Models;

namespace Berth.Node.Runtime;

/// <summary>
/// Pods as sandboxed host processes (DESIGN.md "Runtime"; mechanics measured in runtime-probe.md): a network
/// namespace per pod wired into a hub bridge, a per-pod overlay over the host root, and one bwrap per container
/// run with its own UTS (hostname = pod name), PID, IPC and mount namespaces.
/// </summary>
public sealed class SandboxRuntime : IPodRuntime
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // nsenter by its host path, for the cgroup-joining shell that runs with the container's PATH.
    private static readonly Lazy<string> NsenterPath = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? DefaultPath).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "nsenter"))
            .FirstOrDefault(File.Exists) ?? "/usr/bin/nsenter");
    private readonly SandboxRuntimeOptions _options;
    private readonly HubNetwork _hub;
    private readonly CgroupManager? _cgroups;
    private readonly NamespaceThread _spawner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<PodSandbox, ConcurrentDictionary<ContainerProcess, CgroupHandle?>> _live = new();

    private SandboxRuntime(SandboxRuntimeOptions options, HubNetwork hub, ImageCatalog catalog)
    {
        _options = options;
        _hub = hub;
        _time = options.TimeProvider;
        Catalog = catalog;
        _cgroups = CgroupManager.Detect(hub.RunId);
        _spawner = new NamespaceThread($"berth-spawner-{hub.RunId}");
    }

    public ImageCatalog Catalog { get; }

    /// <summary>"v2", "v1", or null when resource limits cannot be applied on this host.</summary>
    public string? CgroupVersion => _cgroups?.Version;

    internal HubNetwork Hub => _hub;

    public static async Task<SandboxRuntime> CreateAsync(SandboxRuntimeOptions options, CancellationToken cancellationToken = default)
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal)
            && LinuxNative.geteuid() != 0)
        {
            throw new InvalidOperationException("the sandbox runtime needs root (network namespaces, overlay mounts, cgroups)");
        }

        var catalog = ImageCatalog.CreateDefault(options.ImageCatalogFile);
        Directory.CreateDirectory(Path.Combine(options.StateDirectory, "pods"));
        var hub = await HubNetwork.CreateAsync(options.PodCidr, cancellationToken).ConfigureAwait(false);
        try
        {
            // An earlier run of this state directory that crashed left overlay mounts and pod directories (its
            // processes died with it: bwrap --die-with-parent) and cgroups; its namespaces went with HubNetwork above.
            RemoveStalePods(options.StateDirectory);
            CgroupManager.RemoveDeadRuns(HubNetwork.LiveRuns());
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SandboxRuntime(options, hub, catalog);
    }

    /// <summary>
    /// Why the sandbox runtime cannot run on this host, or null when it can: it needs root, a working bwrap, and the
    /// ip and nsenter tools (DESIGN.md "Runtime").
    /// </summary>
    public static async Task<string?> UnavailableReasonAsync(CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "pods are Linux namespaces; this is not Linux";
        }

        if (LinuxNative.geteuid() != 0)
        {
            return "not running as root (pods need network namespaces, overlay mounts and cgroups)";
        }

        foreach (var (tool, args, package) in new (string, string[], string)[]
        {
            ("bwrap", ["--ro-bind", "/", "/", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--", "true"], "bubblewrap"),
            ("ip", ["-V"], "iproute2"),
            ("nsenter", ["--version"], "util-linux"),
        })
        {
            try
            {
                var result = await ExternalCommand.RunAsync(tool, args, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (result.ExitCode != 0)
                {
                    return $"{tool} does not work here: {(result.StandardError + result.StandardOutput).Trim()}";
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return $"{tool} is not installed (apt-get install {package})";
            }
        }

        return null;
    }

    public async Task<PodSandbox> RunPodSandboxAsync(V1Pod pod, IReadOnlyDictionary<string, string> volumeSources,
        CancellationToken cancellationToken)
    {
        var spec = pod.Spec ?? throw new ArgumentException("pod has no spec", nameof(pod));
        if (spec.HostNetwork == true)
        {
            throw new ContainerStartException("CreatePodSandboxError",
                "hostNetwork: true is not supported by Berth's sandbox runtime: pods get their own network namespace");
        }

        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var key = $"{ns}_{pod.Metadata.Name}_{pod.Metadata.Uid ?? "nouid"}";
        var dir = Path.Combine(_options.StateDirectory, "pods", key);
        if (Directory.Exists(dir) && IsMounted(Path.Combine(dir, "rootfs", "merged")))
        {
            throw new InvalidOperationException($"pod sandbox {key} already exists");
        }

        // Resolve volumes before touching the network, so bad input costs nothing to undo.
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        var emptyDirs = new List<string>();
        foreach (var v in spec.Volumes ?? [])
        {
            if (volumeSources.TryGetValue(v.Name, out var source))
            {
                if (!Directory.Exists(source) && !File.Exists(source))
                {
                    throw new ContainerStartException(ContainerReasons.CreateContainerConfigError,
                        $"volume \"{v.Name}\": host path {source} does not exist");
                }

                volumes[v.Name] = source;
            }
            else if (v.EmptyDir is not null)
            {
                var path = Path.Combine(dir, "volumes", "empty-dir", v.Name);
                volumes[v.Name] = path;
                emptyDirs.Add(path);
            }
            else
            {
                throw new ContainerStartException(ContainerReasons.CreateContainerConfigError,
                    $"volume \"{v.Name}\" has no host directory: the node agent must resolve it before the sandbox starts");
            }
        }

        Directory.CreateDirectory(Path.Combine(dir, "rootfs", "upper"));
        Directory.CreateDirectory(Path.Combine(dir, "rootfs", "work"));
        Directory.CreateDirectory(Path.Combine(dir, "rootfs", "merged"));
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        foreach (var e in emptyDirs)
        {
            Directory.CreateDirectory(e);
            // kubelet's emptyDir is world-writable (pkg/volume/emptydir: perm 0777), so any runAsUser can use it.
            File.SetUnixFileMode(e, (UnixFileMode)0b111_111_111);
        }

        var hostname = spec.Hostname ?? pod.Metadata.Name;
        if (hostname.Length > 63)
        {
            hostname = hostname[..63].TrimEnd('-', '.');
        }

        var network = await _hub.AttachPodAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = new PodSandbox(pod, dir, network, hostname, volumes);
        try
        {
            var lower = "/";
            var data = $"lowerdir={lower},upperdir={sandbox.UpperDirectory},workdir={sandbox.WorkDirectory}";
            if (LinuxNative.mount("overlay", sandbox.MergedRoot, "overlay", 0, data) != 0)
            {
                LinuxNative.ThrowLastError($"mount overlay on {sandbox.MergedRoot}");
            }

            sandbox.RootMounted = true;
            await File.WriteAllTextAsync(sandbox.HostsFile, HostsFile(sandbox), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(sandbox.ResolvConfFile, ResolvConf(ns), cancellationToken).ConfigureAwait(false);
            // The container runtime's /etc/hostname (the pod's hostname), not the host's.
            await File.WriteAllTextAsync(sandbox.HostnameFile, sandbox.Hostname + "\n", cancellationToken).ConfigureAwait(false);
            _live[sandbox] = new ConcurrentDictionary<ContainerProcess, CgroupHandle?>();
        }
        catch
        {
            await RemovePodSandboxAsync(sandbox, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return sandbox;
    }

    // kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent), with the pod's own
    // FQDN line when it has a subdomain (a StatefulSet's headless Service).
    private string HostsFile(PodSandbox sandbox)
    {
        var sb = new StringBuilder();
        sb.Append("# Kubernetes-managed hosts file.\n");
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("fe00::0\tip6-localnet\n");
        sb.Append("fe00::0\tip6-mcastprefix\n");
        sb.Append("fe00::1\tip6-allnodes\n");
        sb.Append("fe00::2\tip6-allrouters\n");
        var subdomain = sandbox.Pod.Spec.Subdomain;
        if (!string.IsNullOrEmpty(subdomain))
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{sandbox.PodIP}\t{sandbox.Hostname}.{subdomain}.{sandbox.Namespace}.svc.{_options.ClusterDomain}\t{sandbox.Hostname}\n");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{sandbox.PodIP}\t{sandbox.Hostname}\n");
        }

        foreach (var alias in sandbox.Pod.Spec.HostAliases ?? [])
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n# Entries added by HostAliases.\n{alias.Ip}\t{string.Join('\t', alias.Hostnames ?? [])}\n");
        }

        return sb.ToString();
    }

    private string ResolvConf(string ns) =>
        $"search {ns}.svc.{_options.ClusterDomain} svc.{_options.ClusterDomain} {_options.ClusterDomain}\n" +
        $"nameserver {_hub.Ipam.ClusterDns}\n" +
        "options ndots:5\n";

    public async Task<ContainerProcess> StartContainerAsync(PodSandbox sandbox, V1Container container,
        IReadOnlyList<KeyValuePair<string, string>> environment, int restartCount, CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(sandbox, out var live))
        {
            throw new InvalidOperationException($"pod sandbox {sandbox.Namespace}/{sandbox.Name} is not running");
        }

        var plan = Catalog.Resolve(container);
        var binds = VolumeMountResolver.Resolve(sandbox, container);

        // What the image would carry: config files (written into the pod's writable layer once) and the
        // entrypoint script (bound read-only so the payload cannot rewrite it for the next restart).
        foreach (var (path, content) in plan.Files)
        {
            // The image's files replace the host's (Debian's nginx.conf is not the image's), once per pod: what
            // the container later changes in its writable layer stays.
            var target = sandbox.MergedRoot + path;
            if (!File.Exists(sandbox.UpperDirectory + path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllTextAsync(target, content, cancellationToken).ConfigureAwait(false);
            }
        }

        if (plan.EntrypointScript is not null)
        {
            var script = Path.Combine(sandbox.Directory, "images", $"{container.Name}.sh");
            Directory.CreateDirectory(Path.GetDirectoryName(script)!);
            await File.WriteAllTextAsync(script, plan.EntrypointScript, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            binds.Add(new VolumeBind(script, ImageCatalog.EntrypointPath, ReadOnly: true));
        }

        if (plan.BusyboxApplets)
        {
            binds.Add(new VolumeBind(BusyboxBin(), ImageCatalog.BusyboxBinPath, ReadOnly: true));
        }

        if (plan.WorkingDir is { } wd)
        {
            if (!wd.StartsWith('/'))
            {
                throw new ContainerStartException(ContainerReasons.CreateContainerConfigError,
                    $"workingDir \"{wd}\" of container \"{container.Name}\" must be an absolute path");
            }

            if (!binds.Any(b => wd == b.Destination || wd.StartsWith(b.Destination + "/", StringComparison.Ordinal)))
            {
                Directory.CreateDirectory(sandbox.MergedRoot + wd);
            }
        }

        // Environment: the image's, then the container's (kubelet appends to the image's), PATH and HOSTNAME first.
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["HOSTNAME"] = sandbox.Hostname,
            ["HOME"] = "/root",
        };
        foreach (var (k, v) in plan.ImageEnv)
        {
            env[k] = v;
        }

        if (plan.BusyboxApplets)
        {
            // The busybox image's /bin is all applets: its shell scripts find wget, nc, httpd... on PATH.
            env["PATH"] = $"{ImageCatalog.BusyboxBinPath}:{env["PATH"]}";
        }

        foreach (var (k, v) in environment)
        {
            env[k] = v;
        }

        PrepareMountPoints(sandbox, binds);
        var argv = plan.Argv;
        CheckExecutable(sandbox, argv[0], env["PATH"], binds);

        var security = container.SecurityContext;
        var podSecurity = sandbox.Pod.Spec.SecurityContext;
        var runAsUser = security?.RunAsUser ?? podSecurity?.RunAsUser;
        var runAsGroup = security?.RunAsGroup ?? podSecurity?.RunAsGroup;
        var fsGroup = podSecurity?.FsGroup;
        if (fsGroup is { } group)
        {
            // fsGroup: volumes become group-owned and group-writable, like kubelet's SetVolumeOwnership.
            foreach (var b in binds.Where(b => !b.ReadOnly && b.Destination != ImageCatalog.EntrypointPath))
            {
                TryChownGroup(b.Source, group);
            }
        }

        var cgroupName = $"{sandbox.Namespace}_{sandbox.Name}_{container.Name}_{restartCount}";
        var cgroup = _cgroups?.Create(cgroupName, container.Resources);
        var psi = BuildStartInfo(sandbox, plan, argv, env, binds, runAsUser, runAsGroup, fsGroup, cgroup);

        var logPath = Path.Combine(sandbox.LogDirectory, container.Name, $"{restartCount}.log");
        var log = new ContainerLogWriter(logPath, _time);
        var oomBefore = cgroup?.OomKills() ?? 0;
        Process outer;
        try
        {
            outer = await _spawner.RunAsync(sandbox.Network.NamespacePath, () => Process.Start(psi)!).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            await log.DisposeAsync().ConfigureAwait(false);
            cgroup?.Remove();
            throw new ContainerStartException(ContainerReasons.StartError, $"could not start the sandbox: {e.Message}");
        }

        var startedAt = _time.GetUtcNow();
        var outerPid = outer.Id;
        // No stdin unless asked for: the payload sees EOF, as with a container runtime's /dev/null.
        Stream? stdin = null;
        if (container.Stdin == true)
        {
            stdin = outer.StandardInput.BaseStream;
        }
        else
        {
            outer.StandardInput.Close();
        }

        var pumps = Task.WhenAll(
            log.PumpAsync(outer.StandardOutput.BaseStream, "stdout"),
            log.PumpAsync(outer.StandardError.BaseStream, "stderr"));

        var (pid1, payload) = await FindPayloadAsync(outer, cancellationToken).ConfigureAwait(false);
        ContainerProcess? handle = null;
        var exited = WaitExitAsync();
        handle = new ContainerProcess(container.Name, outerPid, pid1, payload, plan.StopSignal, startedAt, logPath, exited)
        {
            Environment = [.. env],
            WorkingDir = plan.WorkingDir ?? "/",
            RunAsUser = runAsUser,
            RunAsGroup = runAsGroup,
            Stdin = stdin,
            Cgroup = cgroup,
        };
        live[handle] = cgroup;
        return handle;

        async Task<ContainerExit> WaitExitAsync()
        {
            await outer.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await pumps.ConfigureAwait(false);
            await log.DisposeAsync().ConfigureAwait(false);
            var code = outer.ExitCode;
            outer.Dispose();
            var finished = _time.GetUtcNow();
            var oom = cgroup is not null && cgroup.OomKills() > oomBefore;
            // Give the handle time to be registered before removing it (a payload that exits at once).
            await Task.Yield();
            if (handle is not null)
            {
                live.TryRemove(handle, out _);
            }

            cgroup?.Remove();
            var reason = oom ? ContainerReasons.OomKilled : code == 0 ? ContainerReasons.Completed : ContainerReasons.Error;
            return new ContainerExit(code, reason, null, startedAt, finished);
        }
    }

    /// <summary>
    /// Creates every mountpoint's missing parents in the pod's writable layer with mode 0755, as container runtimes
    /// do: bwrap would create them 0700, which locks non-root payloads (postgres, redis) out of their own volumes.
    /// </summary>
    private static void PrepareMountPoints(PodSandbox sandbox, List<VolumeBind> binds)
    {
        foreach (var b in binds)
        {
            var parts = b.Destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var path = sandbox.MergedRoot;
            var last = Directory.Exists(b.Source) ? parts.Length : parts.Length - 1;
            for (var i = 0; i < last; i++)
            {
                path = Path.Combine(path, parts[i]);
                if (!Path.Exists(path))
                {
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                }
            }
        }
    }

    /// <summary>A directory of applet symlinks to /bin/busybox, made once per state directory.</summary>
    private string BusyboxBin()
    {
        var dir = Path.Combine(_options.StateDirectory, "images", "busybox-bin");
        lock (_live)
        {
            if (!Directory.Exists(dir))
            {
                var tmp = dir + ".tmp";
                if (Directory.Exists(tmp))
                {
                    Directory.Delete(tmp, recursive: true);
                }

                Directory.CreateDirectory(tmp);
                foreach (var applet in ImageCatalog.BusyboxApplets)
                {
                    File.CreateSymbolicLink(Path.Combine(tmp, applet), "/bin/busybox");
                }

                Directory.Move(tmp, dir);
            }
        }

        return dir;
    }

    private ProcessStartInfo BuildStartInfo(PodSandbox sandbox, LaunchPlan plan, IReadOnlyList<string> argv,
        Dictionary<string, string> env, List<VolumeBind> binds, long? runAsUser, long? runAsGroup, long? fsGroup, CgroupHandle? cgroup)
    {
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment.Clear();
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        var a = new List<string>(64);
        if (cgroup is not null)
        {
            // Join the container's cgroups before exec, so bwrap and every descendant inherit them (runtime-probe.md §8).
            psi.FileName = "/bin/sh";
            a.AddRange(["-c", cgroup.JoinThenExecScript, "sh", "bwrap"]);
        }
        else
        {
            psi.FileName = "bwrap";
        }

        a.AddRange([
            "--bind", sandbox.MergedRoot, "/",
            "--proc", "/proc",
            "--dev", "/dev",
            "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "1777", "--tmpfs", "/dev/shm",
            "--ro-bind", "/sys", "/sys",
            // Hide Berth's state (other pods' layers and volumes) that the host root would otherwise show.
            "--tmpfs", Path.GetFullPath(_options.StateDirectory),
        ]);
        foreach (var hidden in _options.HiddenPaths)
        {
            a.AddRange(["--tmpfs", Path.GetFullPath(hidden)]);
        }

        a.AddRange([
            "--ro-bind", sandbox.HostsFile, "/etc/hosts",
            "--ro-bind", sandbox.ResolvConfFile, "/etc/resolv.conf",
            "--ro-bind", sandbox.HostnameFile, "/etc/hostname",
            "--unshare-uts", "--hostname", sandbox.Hostname,
            "--unshare-pid", "--unshare-ipc",
            "--die-with-parent",
        ]);
        foreach (var b in binds)
        {
            a.AddRange([b.ReadOnly ? "--ro-bind" : "--bind", b.Source, b.Destination]);
        }

        if (plan.WorkingDir is { } wd)
        {
            a.AddRange(["--chdir", wd]);
        }

        a.Add("--");
        if (runAsUser is { } uid)
        {
            var gid = runAsGroup ?? uid;
            a.AddRange(["setpriv", $"--reuid={uid}", $"--regid={gid}"]);
            a.Add(fsGroup is { } fg ? $"--groups={fg}" : "--clear-groups");
            a.Add("--");
        }

        a.AddRange(argv);
        foreach (var x in a)
        {
            psi.ArgumentList.Add(x);
        }

        return psi;
    }

    private static void CheckExecutable(PodSandbox sandbox, string command, string path, List<VolumeBind> binds)
    {
        bool Exists(string inContainer)
        {
            foreach (var b in binds)
            {
                if (inContainer == b.Destination)
                {
                    return File.Exists(b.Source);
                }

                if (inContainer.StartsWith(b.Destination + "/", StringComparison.Ordinal))
                {
                    return File.Exists(b.Source + inContainer[b.Destination.Length..]);
                }
            }

            return File.Exists(sandbox.MergedRoot + inContainer);
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            if (command.StartsWith('/') && !Exists(command))
            {
                throw new ContainerStartException(ContainerReasons.StartError,
                    $"exec: \"{command}\": stat {command}: no such file or directory");
            }

            return;
        }

        if (!path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => d.StartsWith('/') && Exists($"{d.TrimEnd('/')}/{command}")))
        {
            // runc's message, which kubelet shows as the StartError message.
            throw new ContainerStartException(ContainerReasons.StartError, $"exec: \"{command}\": executable file not found in $PATH");
        }
    }

    private static void TryChownGroup(string path, long gid)
    {
        try
        {
            var info = new DirectoryInfo(path);
            if (info.Exists)
            {
                _ = LinuxNative.chown(path, -1, (int)gid);
                info.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Waits for the process tree outer → PID 1 → payload to appear (runtime-probe.md §6). The payload PID is what
    /// the stop signal targets; a payload that already exited leaves 0.
    /// </summary>
    private static async Task<(int Pid1, int Payload)> FindPayloadAsync(Process outer, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        int pid1 = 0, payload = 0;
        var delay = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            pid1 = pid1 != 0 ? pid1 : FirstChild(outer.Id);
            if (pid1 != 0)
            {
                payload = FirstChild(pid1);
                if (payload != 0)
                {
                    return (pid1, payload);
                }
            }

            if (outer.HasExited)
            {
                return (pid1, 0);
            }

            // Spin briefly first: the tree normally appears within a few milliseconds.
            if (delay++ < 20)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
        }

        return (pid1, payload);
    }

    private static int FirstChild(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            return int.TryParse(space < 0 ? text : text[..space], out var child) ? child : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public async Task<ContainerExit> StopContainerAsync(ContainerProcess container, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        container.StopRequested = true;
        if (!container.Exited.IsCompleted)
        {
            if (container.PayloadPid == 0 || !LinuxNative.Signal(container.PayloadPid, container.StopSignal))
            {
                // No payload to signal: end the pid namespace now.
                Kill(container);
            }
            else
            {
                try
                {
                    await container.Exited.WaitAsync(gracePeriod, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    Kill(container);
                }
            }
        }

        return await container.Exited.ConfigureAwait(false);
    }

    private static void Kill(ContainerProcess container)
    {
        // SIGKILL to the namespace's PID 1 takes every process of the container with it; the outer bwrap then exits.
        if (!LinuxNative.Signal(container.Pid1, LinuxNative.SigKill))
        {
            LinuxNative.Signal(container.OuterPid, LinuxNative.SigKill);
        }
    }

    public async Task<ExecResult> ExecAsync(ContainerProcess container, IReadOnlyList<string> command,
        IReadOnlyList<KeyValuePair<string, string>> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (container.Exited.IsCompleted || container.Pid1 == 0)
        {
            return new ExecResult(-1, "", $"container \"{container.ContainerName}\" is not running", TimedOut: false);
        }

        var argv = JoinCgroup(container, ["nsenter", "-t", container.Pid1.ToString(CultureInfo.InvariantCulture), "-m", "-u", "-i", "-n", "-p", "--", .. command]);
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.Environment.Clear();
        psi.Environment["PATH"] = DefaultPath;
        // The container's own environment (the image's PATH: busybox applets come first in a busybox image), then
        // what the caller adds, as a CRI exec runs with the container's process environment.
        foreach (var (k, v) in container.Environment.Concat(environment))
        {
            psi.Environment[k] = v;
        }

        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            timedOut = e is TimeoutException;
            // nsenter (exec'd by the cgroup-joining shell, when there is one) forks the command; the tree takes both.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (!timedOut)
            {
                throw;
            }
        }

        return new ExecResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), timedOut);
    }

    public Task<IExecSession> StartExecAsync(ContainerProcess container, IReadOnlyList<string> command, bool stdin, bool tty,
        CancellationToken cancellationToken)
    {
        if (container.Exited.IsCompleted || container.Pid1 == 0)
        {
            throw new InvalidOperationException($"container \"{container.ContainerName}\" is not running");
        }

        // nsenter joins the container's namespaces (runtime-probe.md §7) and forks into its PID namespace; coreutils
        // env (by path: a busybox image's PATH finds one without --chdir) then moves to the container's working
        // directory, since nsenter's own --wd would resolve the path on the host.
        var argv = new List<string> { "nsenter", "-t", container.Pid1.ToString(CultureInfo.InvariantCulture), "-m", "-u", "-i", "-n", "-p" };
        if (container.RunAsUser is { } uid)
        {
            argv.AddRange(["-S", uid.ToString(CultureInfo.InvariantCulture), "-G", (container.RunAsGroup ?? uid).ToString(CultureInfo.InvariantCulture)]);
        }

        argv.AddRange(["--", "/usr/bin/env", $"--chdir={container.WorkingDir}", "--"]);
        argv.AddRange(command);
        argv = JoinCgroup(container, argv);
        var env = container.Environment.ToList();
        if (tty && !env.Any(e => e.Key == "TERM"))
        {
            // containerd's CRI sets TERM for a TTY exec.
            env.Add(new("TERM", "xterm"));
        }

        if (tty)
        {
            return Task.FromResult<IExecSession>(PtyExecSession.Start(argv[0], argv, env, 0, 0,
                $"/proc/{container.Pid1.ToString(CultureInfo.InvariantCulture)}/root/dev"));
        }

        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment.Clear();
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var process = Process.Start(psi) ?? throw new IOException("could not start nsenter");
        return Task.FromResult<IExecSession>(new PipeExecSession(process, stdin));
    }

    /// <summary>
    /// The command line that runs <paramref name="argv"/> inside the container's cgroup when it has one: nsenter joins
    /// namespaces but not cgroups (runtime-probe.md §7), while a CRI runtime's exec (runc exec) runs the process in the
    /// container's cgroup, so its usage counts towards the container's limits and its kubectl top figures.
    /// </summary>
    private static List<string> JoinCgroup(ContainerProcess container, List<string> argv) =>
        container.Cgroup is { } cgroup ? ["/bin/sh", "-c", cgroup.JoinThenExecScript, "sh", NsenterPath.Value, .. argv.Skip(1)] : argv;

    /// <summary>The containers of the pod with this UID that are running now (their usage is what kubectl top shows).</summary>
    internal IReadOnlyList<ContainerProcess> RunningContainers(string podUid)
    {
        foreach (var (sandbox, live) in _live)
        {
            if (sandbox.Pod.Metadata.Uid == podUid)
            {
                return [.. live.Keys.Where(c => !c.Exited.IsCompleted)];
            }
        }

        return [];
    }

    /// <summary>Every running container of every pod.</summary>
    internal IEnumerable<ContainerProcess> RunningContainers() =>
        _live.Values.SelectMany(live => live.Keys).Where(c => !c.Exited.IsCompleted);

    public Task<Socket> ConnectAsync(PodSandbox sandbox, int port, CancellationToken cancellationToken) =>
        _hub.ConnectTcpAsync(sandbox.PodIP, port, cancellationToken);

    public async Task RemovePodSandboxAsync(PodSandbox sandbox, CancellationToken cancellationToken)
    {
        if (_live.TryRemove(sandbox, out var live))
        {
            foreach (var c in live.Keys)
            {
                Kill(c);
            }

            foreach (var (c, cgroup) in live)
            {
                await c.Exited.ConfigureAwait(false);
                cgroup?.Remove();
            }
        }

        if (sandbox.RootMounted || IsMounted(sandbox.MergedRoot))
        {
            // Lazy detach: a process still holding a file inside cannot keep the pod directory alive.
            if (LinuxNative.umount2(sandbox.MergedRoot, LinuxNative.MntDetach) != 0 && IsMounted(sandbox.MergedRoot))
            {
                LinuxNative.ThrowLastError($"umount {sandbox.MergedRoot}");
            }

            sandbox.RootMounted = false;
        }

        await _hub.DetachPodAsync(sandbox.Network, cancellationToken).ConfigureAwait(false);
        DeleteTree(sandbox.Directory);
    }

    /// <summary>
    /// Removes a pod directory without crossing into a mount (runtime-probe.md §2: never rm a pod directory with
    /// its overlay mounted; here every mount below is refused instead of followed).
    /// </summary>
    private static void DeleteTree(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }

        var full = Path.GetFullPath(dir).TrimEnd('/') + "/";
        var mounted = File.ReadLines("/proc/self/mountinfo")
            .Select(l => Unescape(l.Split(' ')[4]))
            .FirstOrDefault(m => (m + "/").StartsWith(full, StringComparison.Ordinal));
        if (mounted is not null)
        {
            throw new IOException($"refusing to delete {dir}: {mounted} is still mounted");
        }

        Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// Unmounts and removes every pod directory of the state directory: at startup nothing in it belongs to a live
    /// sandbox (one runtime per state directory; the data dir lock guarantees it for `berth serve`).
    /// </summary>
    private static void RemoveStalePods(string stateDirectory)
    {
        var pods = Path.Combine(stateDirectory, "pods");
        foreach (var dir in Directory.EnumerateDirectories(pods))
        {
            var merged = Path.Combine(dir, "rootfs", "merged");
            if (IsMounted(merged) && LinuxNative.umount2(merged, LinuxNative.MntDetach) != 0 && IsMounted(merged))
            {
                LinuxNative.ThrowLastError($"umount {merged}");
            }

            DeleteTree(dir);
        }
    }

    private static bool IsMounted(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo").Any(l => Unescape(l.Split(' ')[4]) == full);
    }

    // mountinfo escapes space, tab, newline and backslash as octal.
    private static string Unescape(string s) =>
        s.Contains('\\', StringComparison.Ordinal)
            ? s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
                .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal)
            : s;

    public async ValueTask DisposeAsync()
    {
        foreach (var sandbox in _live.Keys.ToList())
        {
            try
            {
                await RemovePodSandboxAsync(sandbox, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Keep tearing down the others; the hub removal below still takes every namespace of this run.
            }
        }

        _spawner.Dispose();
        _cgroups?.RemoveRun();
        await _hub.DisposeAsync().ConfigureAwait(false);
    }
}
