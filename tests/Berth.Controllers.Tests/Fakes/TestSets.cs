using k8s.Models;

namespace Berth.Controllers.Tests.Fakes;

/// <summary>StatefulSet manifests for tests (the upstream e2e's "ss" with a headless service and a claim).</summary>
public static class TestSets
{
    public static V1StatefulSet Web(string name = "web", int replicas = 3, bool claims = true, bool parallel = false,
        string image = "nginx:1.27", string ns = "default") => new()
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new V1StatefulSetSpec
            {
                Replicas = replicas,
                ServiceName = name,
                PodManagementPolicy = parallel ? "Parallel" : "OrderedReady",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "nginx",
                                Image = image,
                                VolumeMounts = claims ? [new V1VolumeMount { Name = "www", MountPath = "/usr/share/nginx/html" }] : null,
                            },
                        ],
                        TerminationGracePeriodSeconds = 10,
                    },
                },
                VolumeClaimTemplates = claims
                    ?
                    [
                        new V1PersistentVolumeClaim
                        {
                            Metadata = new V1ObjectMeta { Name = "www" },
                            Spec = new V1PersistentVolumeClaimSpec
                            {
                                AccessModes = ["ReadWriteOnce"],
                                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                            },
                        },
                    ]
                    : null,
            },
        };
}
