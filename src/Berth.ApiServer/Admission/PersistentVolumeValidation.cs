using System.Reflection;
using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream ValidatePersistentVolume / ValidatePersistentVolumeUpdate.</summary>
internal static class PersistentVolumeValidation
{
    private static readonly string[] ReclaimPolicies = ["Delete", "Recycle", "Retain"];
    private static readonly string[] CapacityNames = ["storage"];

    private static readonly HashSet<string> NotSources =
    [
        nameof(V1PersistentVolumeSpec.AccessModes), nameof(V1PersistentVolumeSpec.Capacity), nameof(V1PersistentVolumeSpec.ClaimRef),
        nameof(V1PersistentVolumeSpec.MountOptions), nameof(V1PersistentVolumeSpec.NodeAffinity),
        nameof(V1PersistentVolumeSpec.PersistentVolumeReclaimPolicy), nameof(V1PersistentVolumeSpec.StorageClassName),
        nameof(V1PersistentVolumeSpec.VolumeAttributesClassName), nameof(V1PersistentVolumeSpec.VolumeMode),
    ];

    private static readonly PropertyInfo[] Sources = typeof(V1PersistentVolumeSpec).GetProperties()
        .Where(p => !NotSources.Contains(p.Name)).ToArray();

    public static List<FieldError> ValidateCreate(V1PersistentVolume volume)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMeta(volume.Metadata, false, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        ValidateSpec(volume.Spec, errors);
        return errors;
    }

    public static List<FieldError> ValidateUpdate(V1PersistentVolume volume, V1PersistentVolume old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(volume.Metadata, old.Metadata, "metadata", errors);
        ValidateSpec(volume.Spec, errors);

        // upstream: the volume source and volumeMode are immutable once created.
        if (!string.Equals(volume.Spec?.VolumeMode, old.Spec?.VolumeMode, StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid("spec.volumeMode", volume.Spec?.VolumeMode ?? "", ObjectMetaValidation.FieldImmutableErrorMsg));
        }

        var newSpec = volume.Spec ?? new V1PersistentVolumeSpec();
        var oldSpec = old.Spec ?? new V1PersistentVolumeSpec();
        foreach (var source in Sources)
        {
            if (!SemanticEquality.AreEqual(source.GetValue(newSpec), source.GetValue(oldSpec)))
            {
                errors.Add(FieldError.Forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
                break;
            }
        }

        return errors;
    }

    private static void ValidateSpec(V1PersistentVolumeSpec? spec, List<FieldError> errors)
    {
        spec ??= new V1PersistentVolumeSpec();
        var modes = spec.AccessModes ?? [];
        if (modes.Count == 0)
        {
            errors.Add(FieldError.Required("spec.accessModes", "must specify at least 1 access mode"));
        }

        foreach (var mode in modes)
        {
            if (!PersistentVolumeClaimValidation.AccessModes.Contains(mode))
            {
                errors.Add(FieldError.NotSupported("spec.accessModes", mode, PersistentVolumeClaimValidation.AccessModes));
            }
        }

        var capacity = spec.Capacity ?? new Dictionary<string, ResourceQuantity>();
        if (capacity.Count == 0)
        {
            errors.Add(FieldError.Required("spec.capacity"));
        }
        else if (!capacity.ContainsKey("storage") || capacity.Count > 1)
        {
            errors.Add(FieldError.NotSupported("spec.capacity",
                new GoValue.Literal("core.ResourceList{" + string.Join(", ", capacity.Keys.Select(GoValue.Quote)) + "}"), CapacityNames));
        }
        else
        {
            PodValidation.ValidateQuantity(capacity["storage"], "spec.capacity[storage]", errors);
        }

        if (spec.PersistentVolumeReclaimPolicy is { Length: > 0 } policy && !ReclaimPolicies.Contains(policy))
        {
            errors.Add(FieldError.NotSupported("spec.persistentVolumeReclaimPolicy", policy, ReclaimPolicies));
        }

        if (!string.IsNullOrEmpty(spec.StorageClassName))
        {
            CommonValidation.ValidateDNS1123Subdomain(spec.StorageClassName, "spec.storageClassName", errors);
        }

        if (spec.VolumeMode is { } volumeMode && !PersistentVolumeClaimValidation.VolumeModes.Contains(volumeMode))
        {
            errors.Add(FieldError.NotSupported("spec.volumeMode", volumeMode, PersistentVolumeClaimValidation.VolumeModes));
        }

        var sources = Sources.Where(p => p.GetValue(spec) is not null).ToList();
        if (sources.Count == 0)
        {
            errors.Add(FieldError.Required("spec", "must specify a volume type"));
        }
        else if (sources.Count > 1)
        {
            errors.Add(FieldError.Forbidden("spec." + JsonName(sources[1]), "may not specify more than 1 volume type"));
        }

        if (spec.HostPath is { } hostPath && string.IsNullOrEmpty(hostPath.Path))
        {
            errors.Add(FieldError.Required("spec.hostPath.path"));
        }

        if (spec.Local is { } local)
        {
            if (string.IsNullOrEmpty(local.Path))
            {
                errors.Add(FieldError.Required("spec.local.path"));
            }

            if (spec.NodeAffinity is null)
            {
                errors.Add(FieldError.Required("spec.nodeAffinity", "Local volume requires node affinity"));
            }
        }
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name ?? property.Name;
}
