using System.Globalization;
using System.Text;

namespace Berth.Node.Proxy;

/// <summary>
/// The nftables program for the hub namespace (kube-proxy's nftables mode, reduced to ClusterIP): one table
/// <c>ip berth-proxy</c>, replaced whole in one transaction. A packet for a cluster IP and port jumps to that port's
/// chain, which picks an endpoint uniformly (<c>numgen random</c> into a verdict map) and DNATs to its address and
/// target port. Every proxied connection is masqueraded to the bridge address on the way out: pods share one L2
/// segment, so without it a backend would answer its client directly and bypass the un-DNAT, and a pod reaching a
/// Service that selects itself (hairpin) would talk to itself. Anything for the service CIDR that no rule DNATed (a
/// port without a ready endpoint, an address no Service holds) is rejected, so clients get "connection refused" at
/// once as with kube-proxy, rather than waiting on an address nobody answers.
/// </summary>
internal static class NftRuleset
{
    public const string Table = "berth-proxy";

    public static string Build(IEnumerable<ProxiedService> services, string serviceCidr)
    {
        var body = new StringBuilder();
        var dispatch = new StringBuilder();
        var chain = 0;
        foreach (var service in services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            foreach (var port in service.Ports)
            {
                if (port.Endpoints.Count == 0 || port.Protocol is not ("TCP" or "UDP"))
                {
                    continue;
                }

                var proto = port.Protocol == "TCP" ? "tcp" : "udp";
                var name = "svc" + chain.ToString(CultureInfo.InvariantCulture);
                chain++;
                dispatch.Append(CultureInfo.InvariantCulture,
                    $"\t\tip daddr {service.ClusterIp} {proto} dport {port.Port} goto {name} comment \"{service.Key}:{Comment(port.Name)}\"\n");
                var verdicts = new List<string>();
                for (var i = 0; i < port.Endpoints.Count; i++)
                {
                    var (address, targetPort) = port.Endpoints[i];
                    var endpointChain = $"{name}-ep{i.ToString(CultureInfo.InvariantCulture)}";
                    verdicts.Add($"{i.ToString(CultureInfo.InvariantCulture)} : goto {endpointChain}");
                    body.Append(CultureInfo.InvariantCulture, $"\tchain {endpointChain} {{\n");
                    body.Append(CultureInfo.InvariantCulture, $"\t\tmeta mark set mark or 0x4000 meta l4proto {proto} dnat to {address}:{targetPort}\n");
                    body.Append("\t}\n");
                }

                body.Append(CultureInfo.InvariantCulture, $"\tchain {name} {{\n");
                body.Append(CultureInfo.InvariantCulture,
                    $"\t\tnumgen random mod {port.Endpoints.Count.ToString(CultureInfo.InvariantCulture)} vmap {{ {string.Join(", ", verdicts)} }}\n");
                body.Append("\t}\n");
            }
        }

        var sb = new StringBuilder();
        // "add" then "delete" makes the delete valid when the table does not exist yet; the whole file is one
        // transaction, so traffic sees the old rules or the new ones, never none.
        sb.Append(CultureInfo.InvariantCulture, $"add table ip {Table}\ndelete table ip {Table}\ntable ip {Table} {{\n");
        sb.Append(body);
        sb.Append("\tchain services {\n").Append(dispatch).Append("\t}\n");
        sb.Append("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}\n");
        sb.Append("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}\n");
        sb.Append("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        sb.Append("\t\tmeta mark & 0x4000 == 0x4000 masquerade\n\t}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"\tchain forward {{\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tip daddr {serviceCidr} reject\n\t}}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"\tchain local {{\n\t\ttype filter hook output priority 0; policy accept;\n\t\tip daddr {serviceCidr} reject\n\t}}\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>Removes the table (the proxy's stop).</summary>
    public static string Delete => $"add table ip {Table}\ndelete table ip {Table}\n";

    private static string Comment(string text) => text.Replace("\"", "", StringComparison.Ordinal);
}
