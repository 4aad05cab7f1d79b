using System.Text.Json.Nodes;

namespace Berth.ApiServer.Registry;

/// <summary>The fields of a Service spec that cluster IP allocation reads.</summary>
internal sealed record ServiceAddressing(string? Type, string? ClusterIp, IReadOnlyList<string> ClusterIps)
{
    public static ServiceAddressing From(JsonObject? spec) => new(
        JsonMeta.String(spec, "type"),
        JsonMeta.String(spec, "clusterIP"),
        spec?["clusterIPs"] is JsonArray ips ? [.. ips.Select(i => i?.GetValueKind() == System.Text.Json.JsonValueKind.String ? i.GetValue<string>() : "")] : []);

    /// <summary>True for a Service that should hold a cluster IP but has none yet.</summary>
    public bool NeedsAddress => Type != "ExternalName" && string.IsNullOrEmpty(ClusterIp);
}
