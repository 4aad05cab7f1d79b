using k8s.Models;

namespace Berth.Node.Tests.Dns;

/// <summary>Services, EndpointSlices and pods as the controllers write them, for the DNS index tests.</summary>
public static class DnsModels
{
    public static V1Service Service(string name, string clusterIp, string ns = "default", params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = clusterIp,
            Ports = ports.Length > 0 ? ports : [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
        },
    };

    public static V1Endpoint Endpoint(string ip, string? hostname = null, bool? ready = true) => new()
    {
        Addresses = [ip],
        Hostname = hostname,
        Conditions = new V1EndpointConditions { Ready = ready },
    };

    public static V1EndpointSlice Slice(string service, string name, params V1Endpoint[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "default",
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
        },
        AddressType = "IPv4",
        Endpoints = endpoints,
        Ports = [new Discoveryv1EndpointPort { Name = "web", Port = 8080, Protocol = "TCP" }],
    };

    public static V1Pod Pod(string name, string ip, string? hostname = null, string? subdomain = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec { Hostname = hostname, Subdomain = subdomain },
        Status = new V1PodStatus { Phase = "Running", PodIP = ip },
    };
}
