using k8s.Models;

namespace Berth.Core;

/// <summary>Every resource Berth serves. Short names and categories are upstream's.</summary>
public static class ResourceCatalog
{
    private static readonly string[] GetPatchUpdate = ["get", "patch", "update"];
    private static readonly string[] AllCategory = ["all"];
    private static readonly string[] NoNames = [];

    public static IReadOnlyList<ResourceDescriptor> All { get; } =
    [
        Core("Namespace", "namespaces", typeof(V1Namespace), namespaced: false, ["ns"], NoNames,
            [Sub("status", "", "v1", "Namespace", GetPatchUpdate), Sub("finalize", "", "v1", "Namespace", ["update"])]),
        Core("Pod", "pods", typeof(V1Pod), namespaced: true, ["po"], AllCategory,
        [
            Sub("status", "", "v1", "Pod", GetPatchUpdate),
            Sub("eviction", "policy", "v1", "Eviction", ["create"]),
            Sub("log", "", "v1", "Pod", ["get"]),
            Sub("exec", "", "v1", "PodExecOptions", ["create", "get"]),
            Sub("attach", "", "v1", "PodAttachOptions", ["create", "get"]),
            Sub("portforward", "", "v1", "PodPortForwardOptions", ["create", "get"]),
            Sub("binding", "", "v1", "Binding", ["create"]),
        ]),
        Core("Service", "services", typeof(V1Service), namespaced: true, ["svc"], AllCategory,
            [Sub("status", "", "v1", "Service", GetPatchUpdate)]),
        Core("Endpoints", "endpoints", typeof(V1Endpoints), namespaced: true, ["ep"], NoNames, []),
        Core("ConfigMap", "configmaps", typeof(V1ConfigMap), namespaced: true, ["cm"], NoNames, []),
        Core("Secret", "secrets", typeof(V1Secret), namespaced: true, [], NoNames, []),
        Core("PersistentVolumeClaim", "persistentvolumeclaims", typeof(V1PersistentVolumeClaim), namespaced: true, ["pvc"], NoNames,
            [Sub("status", "", "v1", "PersistentVolumeClaim", GetPatchUpdate)]),
        Core("PersistentVolume", "persistentvolumes", typeof(V1PersistentVolume), namespaced: false, ["pv"], NoNames,
            [Sub("status", "", "v1", "PersistentVolume", GetPatchUpdate)]),
        Core("Event", "events", typeof(Corev1Event), namespaced: true, ["ev"], NoNames, []),
        Core("Node", "nodes", typeof(V1Node), namespaced: false, ["no"], NoNames,
            [Sub("status", "", "v1", "Node", GetPatchUpdate)]),
        Core("ServiceAccount", "serviceaccounts", typeof(V1ServiceAccount), namespaced: true, ["sa"], NoNames, []),
        new("apps", "v1", "StatefulSet", "statefulsets", "statefulset", true, typeof(V1StatefulSet), ["sts"], AllCategory,
        [
            Sub("scale", "autoscaling", "v1", "Scale", GetPatchUpdate),
            Sub("status", "apps", "v1", "StatefulSet", GetPatchUpdate),
        ]),
        new("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true, typeof(V1ControllerRevision),
            NoNames, NoNames, []),
        new("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", true,
            typeof(V1PodDisruptionBudget), ["pdb"], NoNames, [Sub("status", "policy", "v1", "PodDisruptionBudget", GetPatchUpdate)]),
        new("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", false, typeof(V1StorageClass),
            ["sc"], NoNames, []),
        new("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, typeof(V1Lease), NoNames, NoNames, []),
        new("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, typeof(V1EndpointSlice),
            NoNames, NoNames, []),
    ];

    private static readonly Dictionary<string, ResourceDescriptor> ByGroupVersionPlural =
        All.ToDictionary(r => r.ApiVersion + "/" + r.Plural, StringComparer.Ordinal);

    private static readonly Dictionary<string, ResourceDescriptor> ByApiVersionKind =
        All.ToDictionary(r => r.ApiVersion + "/" + r.Kind, StringComparer.Ordinal);

    /// <summary>Finds a resource by the URL parts: group ("" for core), version and plural.</summary>
    public static ResourceDescriptor? Find(string group, string version, string plural) =>
        ByGroupVersionPlural.GetValueOrDefault((group.Length == 0 ? version : group + "/" + version) + "/" + plural);

    /// <summary>Finds a resource by apiVersion ("apps/v1") and kind.</summary>
    public static ResourceDescriptor? FindByKind(string apiVersion, string kind) =>
        ByApiVersionKind.GetValueOrDefault(apiVersion + "/" + kind);

    private static ResourceDescriptor Core(
        string kind, string plural, Type type, bool namespaced, string[] shortNames, string[] categories,
        SubresourceDescriptor[] subresources) =>
        new("", "v1", kind, plural, kind.ToLowerInvariant(), namespaced, type, shortNames, categories, subresources);

    private static SubresourceDescriptor Sub(string name, string group, string version, string kind, string[] verbs) =>
        new(name, group, version, kind, verbs);
}
