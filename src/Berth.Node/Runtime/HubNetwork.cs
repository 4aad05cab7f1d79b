using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Berth.Node.Runtime;

/// <summary>
/// The pod network (DESIGN.md "Runtime", runtime-probe.md §3): a hub network namespace holding a bridge with no
/// uplink, and per pod a named network namespace wired into the bridge by a veth. Pod traffic never leaves
/// namespaces Berth created. Names carry a per-run id so parallel runs (tests, several nodes) never collide; the
/// hub namespace being per run, the pod CIDR may repeat across runs.
/// </summary>
internal sealed class HubNetwork : IAsyncDisposable
{
    internal const string BridgeName = "br0";
    private const string RunDirectory = "/run/berth/runs";

    private readonly NamespaceThread _socketThread;
    private readonly NamespaceThread _netThread;
    private readonly Lock _hubNetlinkLock = new();
    private bool _addedUnreachableRoute;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _hubFd;
    private RouteNetlink? _hubNetlink;
    private int _bridgeIndex;
    private volatile bool _useIpTool;

    private HubNetwork(string runId, PodIpam ipam)
    {
        RunId = runId;
        Ipam = ipam;
        _socketThread = new NamespaceThread($"berth-hub-{runId}");
        _netThread = new NamespaceThread($"berth-net-{runId}");
    }

    public string RunId { get; }

    /// <summary>True once the in-process rtnetlink path failed and pods are wired with the `ip` tool instead.</summary>
    internal bool UsesIpTool => _useIpTool;

    public PodIpam Ipam { get; }

    public string HubNamespaceName => $"berth-{RunId}-hub";

    public string HubNamespacePath => $"/run/netns/{HubNamespaceName}";

    public static async Task<HubNetwork> CreateAsync(string podCidr, CancellationToken cancellationToken = default)
    {
        await CleanupDeadRunsAsync(cancellationToken).ConfigureAwait(false);
        var runId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var hub = new HubNetwork(runId, new PodIpam(podCidr));
        Directory.CreateDirectory(RunDirectory);
        // "<pid> <cidr>": who owns the run (dead owners are cleaned up) and which unreachable route it relies on.
        await File.WriteAllTextAsync(Path.Combine(RunDirectory, runId),
            $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} {hub.Ipam.Cidr}", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExternalCommand.RunCheckedAsync("ip", ["netns", "add", hub.HubNamespaceName], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            var ipam = hub.Ipam;
            // The gateway and the cluster DNS address both live on the hub bridge: DNS sockets are bound there
            // from the host through HubSocketFactory. The bridge gets its own MAC address: without one the kernel
            // gives it the lowest of its ports' addresses (br_stp_recalculate_bridge_id), so it changes whenever a
            // pod with a lower veth address comes or the one it copied goes, and every other pod's ARP entry for the
            // gateway and cluster DNS points at a MAC nobody answers until it expires: their DNS queries time out for
            // 5-45 s after a peer is re-created. An address set explicitly is never replaced (moby's bridge driver,
            // setup_device.go, does the same for docker0).
            await ExternalCommand.RunCheckedAsync("ip", ["-n", hub.HubNamespaceName, "-batch", "-"],
                $"""
                link set lo up
                link add {BridgeName} address {BridgeAddress()} type bridge
                addr add {ipam.Gateway}/{ipam.PrefixLength} dev {BridgeName}
                addr add {ipam.ClusterDns}/{ipam.PrefixLength} dev {BridgeName}
                link set {BridgeName} up

                """, cancellationToken).ConfigureAwait(false);
            // Safety net in the host namespace: if anything ever routed the pod CIDR from the host, it is refused.
            var route = await ExternalCommand.RunAsync("ip", ["route", "add", "unreachable", ipam.Cidr], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            hub._addedUnreachableRoute = route.ExitCode == 0;
            hub._hubFd = File.OpenHandle(hub.HubNamespacePath, FileMode.Open, FileAccess.Read);
            (hub._hubNetlink, hub._bridgeIndex) = await hub._netThread.RunAsync(hub.HubNamespacePath,
                () => (new RouteNetlink(), (int)LinuxNative.if_nametoindex(BridgeName))).ConfigureAwait(false);
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return hub;
    }

    /// <summary>A random locally administered unicast MAC address (the first octet's 0x02 bit set, 0x01 clear).</summary>
    private static string BridgeAddress()
    {
        var mac = System.Security.Cryptography.RandomNumberGenerator.GetBytes(6);
        mac[0] = (byte)((mac[0] & 0xFE) | 0x02);
        return string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Creates the pod's namespace and veth and gives it the next free address.</summary>
    public async Task<PodNetwork> AttachPodAsync(CancellationToken cancellationToken = default)
    {
        var address = Ipam.Allocate();
        var suffix = Convert.ToHexStringLower(address.GetAddressBytes().AsSpan(1));
        var network = new PodNetwork($"berth-{RunId}-{suffix}", address, $"veth{suffix}");
        if (!_useIpTool)
        {
            try
            {
                await _netThread.RunAsync(null, () => AttachInProcess(network), restoreAlways: true).ConfigureAwait(false);
                lock (_hubNetlinkLock)
                {
                    _hubNetlink!.SetUp(network.HubVeth, _bridgeIndex);
                }

                return network;
            }
            catch (IOException)
            {
                // Netlink refused something this kernel does differently: undo, then use `ip` from now on.
                await DetachPodAsync(network, CancellationToken.None).ConfigureAwait(false);
                _useIpTool = true;
                return await AttachPodAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            // One ip run creates the namespace and both veth ends directly where they belong (runtime-probe.md §3:
            // batching is what keeps this near 20 ms); the two configuration runs are independent.
            await ExternalCommand.RunCheckedAsync("ip", ["-batch", "-"],
                $"""
                netns add {network.NamespaceName}
                link add {network.HubVeth} netns {HubNamespaceName} type veth peer name eth0 netns {network.NamespaceName}

                """, cancellationToken).ConfigureAwait(false);
            var pod = ExternalCommand.RunCheckedAsync("ip", ["-n", network.NamespaceName, "-batch", "-"],
                $"""
                link set lo up
                addr add {address}/{Ipam.PrefixLength} dev eth0
                link set eth0 up
                route add default via {Ipam.Gateway}

                """, cancellationToken);
            var hub = ExternalCommand.RunCheckedAsync("ip",
                ["-n", HubNamespaceName, "link", "set", network.HubVeth, "master", BridgeName, "up"], cancellationToken: cancellationToken);
            await Task.WhenAll(pod, hub).ConfigureAwait(false);
        }
        catch
        {
            await DetachPodAsync(network, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return network;
    }

    /// <summary>
    /// What `ip netns add` plus the veth, address and route commands do, on the dedicated thread: unshare a new
    /// network namespace, pin it with a bind mount under /run/netns, and configure it over rtnetlink.
    /// </summary>
    private bool AttachInProcess(PodNetwork network)
    {
        if (LinuxNative.unshare(LinuxNative.CloneNewNet) != 0)
        {
            LinuxNative.ThrowLastError("unshare(CLONE_NEWNET)");
        }

        using (File.Create(network.NamespacePath))
        {
        }

        if (LinuxNative.mount($"/proc/self/task/{LinuxNative.gettid()}/ns/net", network.NamespacePath, "none", LinuxNative.MsBind, null) != 0)
        {
            LinuxNative.ThrowLastError($"bind mount {network.NamespacePath}");
        }

        using var netlink = new RouteNetlink();
        netlink.SetUp("lo");
        netlink.CreateVeth(network.HubVeth, (int)_hubFd!.DangerousGetHandle(), "eth0");
        var eth0 = (int)LinuxNative.if_nametoindex("eth0");
        netlink.AddAddress(eth0, network.Address, Ipam.PrefixLength);
        netlink.SetUp("eth0");
        netlink.AddDefaultRoute(Ipam.Gateway);
        return true;
    }

    public Task DetachPodAsync(PodNetwork network, CancellationToken cancellationToken = default)
    {
        // What `ip netns del` does: drop the pinning mount and the file; the namespace (and the veth pair with it)
        // goes away when its last process has exited.
        if (File.Exists(network.NamespacePath))
        {
            LinuxNative.umount2(network.NamespacePath, LinuxNative.MntDetach);
            File.Delete(network.NamespacePath);
        }

        Ipam.Release(network.Address);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A socket that lives in the hub namespace: the only way the host reaches pod addresses (probes,
    /// port-forward, cluster DNS). Connect or bind it from any thread afterwards.
    /// </summary>
    public Task<Socket> CreateSocketAsync(AddressFamily family, SocketType type, ProtocolType protocol) =>
        _socketThread.RunAsync(HubNamespacePath, () => new Socket(family, type, protocol));

    /// <summary>Connects a TCP socket to a pod address from inside the hub namespace.</summary>
    public async Task<Socket> ConnectTcpAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        var socket = await CreateSocketAsync(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp).ConfigureAwait(false);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socketThread.Dispose();
        _netThread.Dispose();
        _hubNetlink?.Dispose();
        _hubFd?.Dispose();
        await DeleteRunNamespacesAsync(RunId).ConfigureAwait(false);
        File.Delete(Path.Combine(RunDirectory, RunId));
        // The route is shared by every run on the same CIDR: the last one out removes it.
        if (_addedUnreachableRoute && !Directory.EnumerateFiles(RunDirectory).Any(f => RunCidr(f) == Ipam.Cidr))
        {
            await ExternalCommand.RunAsync("ip", ["route", "del", "unreachable", Ipam.Cidr]).ConfigureAwait(false);
        }
    }

    private static async Task DeleteRunNamespacesAsync(string runId)
    {
        if (!Directory.Exists("/run/netns"))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles("/run/netns", $"berth-{runId}-*"))
        {
            await ExternalCommand.RunAsync("ip", ["netns", "del", Path.GetFileName(path)]).ConfigureAwait(false);
        }
    }

    /// <summary>Run ids whose owning process is alive (after <see cref="CreateAsync"/> removed the dead ones).</summary>
    public static IReadOnlySet<string> LiveRuns() =>
        Directory.Exists(RunDirectory) ? Directory.EnumerateFiles(RunDirectory).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);

    private static string? RunCidr(string runFile)
    {
        try
        {
            var parts = File.ReadAllText(runFile).Split(' ');
            return parts.Length > 1 ? parts[1] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A run whose process died (a crash, a killed test host) leaves namespaces behind: remove them.</summary>
    private static async Task CleanupDeadRunsAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(RunDirectory))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(RunDirectory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var owner = (await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)).Split(' ');
            if (int.TryParse(owner[0], out var pid) &&
                (LinuxNative.kill(pid, 0) == 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != LinuxNative.Esrch))
            {
                continue;
            }

            await DeleteRunNamespacesAsync(Path.GetFileName(file)).ConfigureAwait(false);
            File.Delete(file);
            if (owner.Length > 1 && !Directory.EnumerateFiles(RunDirectory).Any(f => RunCidr(f) == owner[1]))
            {
                await ExternalCommand.RunAsync("ip", ["route", "del", "unreachable", owner[1]], cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }
}
