using System.Net;

namespace Berth.Node.Runtime;

/// <summary>A pod's network namespace (a file under /run/netns), its address and the hub end of its veth.</summary>
internal sealed record PodNetwork(string NamespaceName, IPAddress Address, string HubVeth)
{
    public string NamespacePath => $"/run/netns/{NamespaceName}";
}
