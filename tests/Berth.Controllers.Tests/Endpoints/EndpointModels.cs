using k8s.Models;

namespace Berth.Controllers.Tests.Endpoints;

/// <summary>Services and pods for the endpoint controller tests.</summary>
public static class EndpointModels
{
    public static V1Service Service(string name = "web", string? clusterIp = "None", bool publishNotReady = false,
        IDictionary<string, string>? selector = null, params V1ServicePort[] ports) => new()
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "default",
                Uid = "svc-uid-" + name,
                Labels = new Dictionary<string, string> { ["team"] = "a" },
            },
            Spec = new V1ServiceSpec
            {
                ClusterIP = clusterIp,
                Selector = selector ?? new Dictionary<string, string> { ["app"] = name },
                PublishNotReadyAddresses = publishNotReady,
                Ports = ports.Length == 0 ? [new V1ServicePort { Name = "http", Port = 80, TargetPort = 80, Protocol = "TCP" }] : ports,
            },
        };

    public static V1Pod Pod(string name, string? ip, bool ready = true, string app = "web", string? subdomain = "web",
        bool terminating = false, string phase = "Running", int? namedPort = null)
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "default",
                Uid = "uid-" + name,
                Labels = new Dictionary<string, string> { ["app"] = app },
                DeletionTimestamp = terminating ? DateTime.UtcNow : null,
            },
            Spec = new V1PodSpec
            {
                Hostname = name,
                Subdomain = subdomain,
                NodeName = "berth",
                Containers =
                [
                    new V1Container
                    {
                        Name = "c",
                        Image = "nginx",
                        Ports = namedPort is { } p ? [new V1ContainerPort { Name = "web", ContainerPort = p, Protocol = "TCP" }] : null,
                    },
                ],
            },
            Status = new V1PodStatus
            {
                Phase = phase,
                PodIP = ip,
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            },
        };
        return pod;
    }
}
