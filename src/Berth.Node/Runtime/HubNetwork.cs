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
    private bool _addedUnreachableRoute;

    private HubNetwork(string runId, PodIpam ipam)
    {
        RunId = runId;
        Ipam = ipam;
        _socketThread = new NamespaceThread($"berth-hub-{runId}");
    }

    public string RunId { get; }

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
            // from the host through HubSocketFactory.
            await ExternalCommand.RunCheckedAsync("ip", ["-n", hub.HubNamespaceName, "-batch", "-"],
                $"""
                link set lo up
                link add {BridgeName} type bridge
                addr add {ipam.Gateway}/{ipam.PrefixLength} dev {BridgeName}
                addr add {ipam.ClusterDns}/{ipam.PrefixLength} dev {BridgeName}
                link set {BridgeName} up

                """, cancellationToken).ConfigureAwait(false);
            // Safety net in the host namespace: if anything ever routed the pod CIDR from the host, it is refused.
            var route = await ExternalCommand.RunAsync("ip", ["route", "add", "unreachable", ipam.Cidr], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            hub._addedUnreachableRoute = route.ExitCode == 0;
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return hub;
    }

    /// <summary>Creates the pod's namespace and veth and gives it the next free address.</summary>
    public async Task<PodNetwork> AttachPodAsync(CancellationToken cancellationToken = default)
    {
        var address = Ipam.Allocate();
        var suffix = Convert.ToHexStringLower(address.GetAddressBytes().AsSpan(1));
        var network = new PodNetwork($"berth-{RunId}-{suffix}", address, $"veth{suffix}");
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

    public async Task DetachPodAsync(PodNetwork network, CancellationToken cancellationToken = default)
    {
        // Deleting the namespace takes the veth pair with it.
        if (File.Exists(network.NamespacePath))
        {
            await ExternalCommand.RunAsync("ip", ["netns", "del", network.NamespaceName], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }

        Ipam.Release(network.Address);
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
