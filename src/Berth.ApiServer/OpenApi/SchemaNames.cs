using System.Reflection;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// Upstream OpenAPI definition names for KubernetesClient model types ("io.k8s.api.apps.v1.StatefulSetSpec").
/// The C# models lost the Go package, so it is reconstructed: meta/v1 and the apimachinery value types are known by
/// name; a kind carries its group in [KubernetesEntity]; any other type belongs to core/v1 when some core/v1 kind
/// reaches it, and otherwise to the group of the kind it was reached from.
/// </summary>
internal static partial class SchemaNames
{
    public const string MetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";

    private static readonly HashSet<string> MetaTypes =
    [
        "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference", "ManagedFieldsEntry", "Status",
        "StatusDetails", "StatusCause", "DeleteOptions", "Preconditions", "Condition", "APIResource", "APIResourceList", "APIGroup",
        "APIGroupList", "APIVersions", "GroupVersionForDiscovery", "ServerAddressByClientCIDR", "WatchEvent", "Patch",
    ];

    // core/v1 types that only non-core kinds use (StorageClass.allowedTopologies).
    private static readonly HashSet<string> CoreOnlyByDefinition = ["TopologySelectorTerm", "TopologySelectorLabelRequirement"];

    private static readonly Lazy<HashSet<Type>> CoreReachable = new(ComputeCoreReachable);

    [GeneratedRegex("^(?:[A-Z][a-z]+)?(v\\d+(?:alpha\\d+|beta\\d+)?)([A-Z].*)$", RegexOptions.CultureInvariant)]
    private static partial Regex GroupPrefixed();

    [GeneratedRegex("^V(\\d+(?:alpha\\d+|beta\\d+)?)([A-Z].*)$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPrefixed();

    /// <summary>The definition name of a model type, given the API group of the kind it was reached from.</summary>
    public static string For(Type type, string contextGroup)
    {
        if (type == typeof(ResourceQuantity))
        {
            return "io.k8s.apimachinery.pkg.api.resource.Quantity";
        }

        if (type == typeof(IntOrString))
        {
            return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
        }

        var (version, shortName) = Split(type);
        if (version == "v1" && MetaTypes.Contains(shortName))
        {
            return MetaPackage + "." + shortName;
        }

        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            return Package(entity.Group, entity.ApiVersion) + "." + entity.Kind;
        }

        var group = CoreOnlyByDefinition.Contains(shortName) || CoreReachable.Value.Contains(type) ? "" : contextGroup;
        return Package(group, version) + "." + shortName;
    }

    /// <summary>"io.k8s.api.apps.v1" for ("apps", "v1"); core is "io.k8s.api.core.v1"; "storage.k8s.io" is "storage".</summary>
    public static string Package(string group, string version)
    {
        var name = group.Length == 0 ? "core" : group.Split('.')[0];
        return "io.k8s.api." + name + "." + version;
    }

    /// <summary>The short (Go) type name, as kubectl explain shows it: "StatefulSetSpec".</summary>
    public static string ShortName(string definition) => definition[(definition.LastIndexOf('.') + 1)..];

    private static (string Version, string ShortName) Split(Type type)
    {
        var match = VersionPrefixed().Match(type.Name);
        if (match.Success)
        {
            return ("v" + match.Groups[1].Value, match.Groups[2].Value);
        }

        match = GroupPrefixed().Match(type.Name);
        return match.Success ? (match.Groups[1].Value, match.Groups[2].Value) : ("v1", type.Name);
    }

    // The core/v1 kinds whose nested types other groups also use (PodTemplateSpec, PodSpec, PersistentVolumeClaim...).
    // Listed rather than found by scanning the 5,900 types of KubernetesClient, which costs over a second cold.
    private static readonly Type[] CoreRoots =
    [
        typeof(V1Pod), typeof(V1PodTemplate), typeof(V1ReplicationController), typeof(V1Service), typeof(V1Endpoints),
        typeof(V1PersistentVolume), typeof(V1PersistentVolumeClaim), typeof(V1Node), typeof(V1Namespace), typeof(V1ConfigMap),
        typeof(V1Secret), typeof(V1ServiceAccount), typeof(Corev1Event), typeof(V1LimitRange), typeof(V1ResourceQuota), typeof(V1Binding),
    ];

    private static HashSet<Type> ComputeCoreReachable()
    {
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(CoreRoots);
        while (queue.TryDequeue(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var child in ModelReflection.ChildModelTypes(type))
            {
                queue.Enqueue(child);
            }
        }

        return seen;
    }
}
