namespace Berth.Node.Proxy;

/// <summary>A Service as the proxy programs it: its cluster IP and, per port, the ready endpoints behind it.</summary>
internal sealed record ProxiedService(string Key, string ClusterIp, IReadOnlyList<ProxiedPort> Ports);
