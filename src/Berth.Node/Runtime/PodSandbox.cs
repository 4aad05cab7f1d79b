using System.Net;
using k8s.Models;

namespace Berth.Node.Runtime;

/// <summary>
/// A running pod sandbox: its network namespace and address, its overlay root and per-pod files, and the host
/// directories behind its volumes. Containers are started into it.
/// </summary>
public sealed class PodSandbox
{
    internal PodSandbox(V1Pod pod, string directory, PodNetwork network, string hostname,
        IReadOnlyDictionary<string, string> volumeDirectories)
    {
        Pod = pod;
        Directory = directory;
        Network = network;
        Hostname = hostname;
        VolumeDirectories = volumeDirectories;
    }

    public V1Pod Pod { get; }

    public string Namespace => Pod.Metadata.NamespaceProperty ?? "default";

    public string Name => Pod.Metadata.Name;

    /// <summary>The pod's state directory: rootfs (overlay), etc, emptyDir volumes, logs.</summary>
    public string Directory { get; }

    public IPAddress PodIP => Network.Address;

    public string Hostname { get; }

    /// <summary>Volume name → host directory bound for it (emptyDirs live under <see cref="Directory"/>).</summary>
    public IReadOnlyDictionary<string, string> VolumeDirectories { get; }

    internal PodNetwork Network { get; }

    internal string UpperDirectory => Path.Combine(Directory, "rootfs", "upper");

    internal string WorkDirectory => Path.Combine(Directory, "rootfs", "work");

    internal string MergedRoot => Path.Combine(Directory, "rootfs", "merged");

    internal string HostsFile => Path.Combine(Directory, "etc", "hosts");

    internal string ResolvConfFile => Path.Combine(Directory, "etc", "resolv.conf");

    internal string HostnameFile => Path.Combine(Directory, "etc", "hostname");

    public string LogDirectory => Path.Combine(Directory, "logs");

    internal bool RootMounted { get; set; }
}
