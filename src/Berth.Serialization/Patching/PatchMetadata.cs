using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Berth.Serialization.Patching;

/// <summary>
/// Per model type and JSON field, the patch strategy, merge key, list type and list map keys that upstream's
/// Go types declare (struct tags <c>patchStrategy</c>/<c>patchMergeKey</c> and markers <c>+listType</c>/
/// <c>+listMapKey</c> in k8s.io/api core/v1, apps/v1, policy/v1 and k8s.io/apimachinery meta/v1 types.go). The
/// field set itself comes from the models' compiled JSON contracts (<see cref="ModelContract"/>); the tags come from
/// <see cref="Tags"/>, a table transcribed from upstream, since the C# models do not carry them.
/// </summary>
public static class PatchMetadata
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, FieldPatchInfo>> Cache = new();

    private static readonly string[] NameKey = ["name"];
    private static readonly string[] TypeKey = ["type"];
    private static readonly string[] IpKey = ["ip"];

    /// <summary>(model type, json field) → (strategy, merge key, list type, list map keys), from upstream types.go.</summary>
    private static readonly Dictionary<(Type, string), (PatchStrategy Strategy, string? MergeKey, ListType ListType, string[] Keys)> Tags = new()
    {
        // meta/v1 ObjectMeta
        [(typeof(V1ObjectMeta), "finalizers")] = (PatchStrategy.Merge, null, ListType.Set, []),
        [(typeof(V1ObjectMeta), "ownerReferences")] = (PatchStrategy.Merge, "uid", ListType.Map, ["uid"]),

        // core/v1 PodSpec
        [(typeof(V1PodSpec), "volumes")] = (PatchStrategy.Merge | PatchStrategy.RetainKeys, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "initContainers")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "containers")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "ephemeralContainers")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "imagePullSecrets")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "hostAliases")] = (PatchStrategy.Merge, "ip", ListType.Map, IpKey),
        [(typeof(V1PodSpec), "topologySpreadConstraints")] =
            (PatchStrategy.Merge, "topologyKey", ListType.Map, ["topologyKey", "whenUnsatisfiable"]),
        [(typeof(V1PodSpec), "resourceClaims")] = (PatchStrategy.Merge | PatchStrategy.RetainKeys, "name", ListType.Map, NameKey),
        [(typeof(V1PodSpec), "schedulingGates")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),

        // core/v1 Container and EphemeralContainer (EphemeralContainerCommon carries the same tags)
        [(typeof(V1Container), "ports")] = (PatchStrategy.Merge, "containerPort", ListType.Map, ["containerPort", "protocol"]),
        [(typeof(V1Container), "env")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1Container), "volumeMounts")] = (PatchStrategy.Merge, "mountPath", ListType.Map, ["mountPath"]),
        [(typeof(V1Container), "volumeDevices")] = (PatchStrategy.Merge, "devicePath", ListType.Map, ["devicePath"]),
        [(typeof(V1EphemeralContainer), "ports")] = (PatchStrategy.Merge, "containerPort", ListType.Map, ["containerPort", "protocol"]),
        [(typeof(V1EphemeralContainer), "env")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),
        [(typeof(V1EphemeralContainer), "volumeMounts")] = (PatchStrategy.Merge, "mountPath", ListType.Map, ["mountPath"]),
        [(typeof(V1EphemeralContainer), "volumeDevices")] = (PatchStrategy.Merge, "devicePath", ListType.Map, ["devicePath"]),

        // core/v1 statuses and other specs
        [(typeof(V1PodStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1PodStatus), "podIPs")] = (PatchStrategy.Merge, "ip", ListType.Map, IpKey),
        [(typeof(V1PodStatus), "hostIPs")] = (PatchStrategy.Merge, "ip", ListType.Map, IpKey),
        [(typeof(V1PodStatus), "resourceClaimStatuses")] = (PatchStrategy.Merge | PatchStrategy.RetainKeys, "name", ListType.Map, NameKey),
        [(typeof(V1ServiceSpec), "ports")] = (PatchStrategy.Merge, "port", ListType.Map, ["port", "protocol"]),
        [(typeof(V1ServiceStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1NodeSpec), "podCIDRs")] = (PatchStrategy.Merge, null, ListType.Set, []),
        [(typeof(V1NodeStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1NodeStatus), "addresses")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1PersistentVolumeClaimStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1NamespaceStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1ServiceAccount), "secrets")] = (PatchStrategy.Merge, "name", ListType.Map, NameKey),

        // apps/v1
        [(typeof(V1StatefulSetStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1DeploymentStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1DaemonSetStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1ReplicaSetStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
        [(typeof(V1DeploymentSpec), "strategy")] = (PatchStrategy.RetainKeys, null, ListType.Atomic, []),

        // policy/v1
        [(typeof(V1PodDisruptionBudgetStatus), "conditions")] = (PatchStrategy.Merge, "type", ListType.Map, TypeKey),
    };

    /// <summary>Every JSON field of <paramref name="modelType"/> with its patch metadata (empty for non-model types).</summary>
    public static IReadOnlyDictionary<string, FieldPatchInfo> For(Type modelType) => Cache.GetOrAdd(modelType, Build);

    /// <summary>The metadata of one field, or null when the type has no such field (unknown fields, CRDs).</summary>
    public static FieldPatchInfo? Field(Type? modelType, string jsonName) =>
        modelType is not null && For(modelType).TryGetValue(jsonName, out var info) ? info : null;

    /// <summary>
    /// The type that describes a child of <paramref name="parent"/>: a model property's type (the element type for
    /// lists), or a dictionary's value type for any key. Null when unknown.
    /// </summary>
    public static Type? ChildType(Type? parent, string jsonName)
    {
        if (parent is null)
        {
            return null;
        }

        if (ModelContract.MapValueType(parent) is { } valueType)
        {
            return valueType;
        }

        var field = Field(parent, jsonName);
        return field is null ? null : field.ElementType ?? field.ValueType;
    }

    private static Dictionary<string, FieldPatchInfo> Build(Type type)
    {
        var fields = new Dictionary<string, FieldPatchInfo>(StringComparer.Ordinal);
        if (!ModelContract.IsModel(type) || ModelContract.Of(type) is not { Kind: JsonTypeInfoKind.Object } contract)
        {
            return fields;
        }

        foreach (var property in contract.Properties)
        {
            var name = property.Name;
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var mapValue = ModelContract.MapValueType(valueType);
            var listElement = mapValue is null ? ModelContract.ListElementType(valueType) : null;
            Tags.TryGetValue((type, name), out var tag);
            fields[name] = new FieldPatchInfo(
                name,
                valueType,
                mapValue ?? listElement,
                IsList: listElement is not null,
                IsMap: mapValue is not null,
                tag.Strategy,
                tag.MergeKey,
                tag.Keys is null ? ListType.Atomic : tag.ListType,
                tag.Keys ?? []);
        }

        return fields;
    }

}
