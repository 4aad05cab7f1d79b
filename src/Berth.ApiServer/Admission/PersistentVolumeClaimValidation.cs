using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimSpec and ValidatePersistentVolumeClaimUpdate.</summary>
internal static class PersistentVolumeClaimValidation
{
    public static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
    public static readonly string[] VolumeModes = ["Block", "Filesystem"];

    public static List<FieldError> ValidateCreate(V1PersistentVolumeClaim claim)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMeta(claim.Metadata, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        ValidateSpec(claim.Spec, "spec", errors);
        return errors;
    }

    public static List<FieldError> ValidateUpdate(V1PersistentVolumeClaim claim, V1PersistentVolumeClaim old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(claim.Metadata, old.Metadata, "metadata", errors);
        ValidateSpec(claim.Spec, "spec", errors);

        var newClone = SemanticEquality.Clone(claim.Spec ?? new V1PersistentVolumeClaimSpec());
        var oldClone = SemanticEquality.Clone(old.Spec ?? new V1PersistentVolumeClaimSpec());

        // The binder sets volumeName once; resources.requests may change (expansion) for bound claims.
        if (string.IsNullOrEmpty(oldClone.VolumeName))
        {
            oldClone.VolumeName = newClone.VolumeName;
        }

        newClone.VolumeAttributesClassName = oldClone.VolumeAttributesClassName;
        var oldStorage = old.Spec?.Resources?.Requests.ValueOrDefault("storage");
        var newStorage = claim.Spec?.Resources?.Requests.ValueOrDefault("storage");
        if (claim.Status?.Phase == "Bound" && newClone.Resources?.Requests is not null && oldStorage is not null)
        {
            newClone.Resources.Requests["storage"] = oldStorage;
        }

        if (!SemanticEquality.AreEqual(newClone, oldClone))
        {
            errors.Add(FieldError.Forbidden("spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
                + SemanticEquality.Diff(oldClone, newClone)));
        }

        if (oldStorage is not null && newStorage is not null && QuantityMath.Compare(newStorage, oldStorage) < 0)
        {
            errors.Add(FieldError.Forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
        }

        return errors;
    }

    public static void ValidateSpec(V1PersistentVolumeClaimSpec? spec, string path, List<FieldError> errors)
    {
        spec ??= new V1PersistentVolumeClaimSpec();
        var modes = spec.AccessModes ?? [];
        if (modes.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".accessModes", "at least 1 access mode is required"));
        }

        foreach (var mode in modes)
        {
            if (!AccessModes.Contains(mode))
            {
                errors.Add(FieldError.NotSupported(path + ".accessModes", mode, AccessModes));
            }
        }

        if (modes.Contains("ReadWriteOncePod") && modes.Count > 1)
        {
            errors.Add(FieldError.Forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes"));
        }

        LabelSelectorValidation.ValidateLabelSelector(spec.Selector, path + ".selector", errors);

        var storage = spec.Resources?.Requests.ValueOrDefault("storage");
        if (storage is null)
        {
            errors.Add(FieldError.Required(path + ".resources[storage]"));
        }
        else if (QuantityMath.Sign(storage) <= 0)
        {
            errors.Add(FieldError.Invalid(path + ".resources[storage]", storage.ToString(), "must be greater than zero"));
        }

        if (!string.IsNullOrEmpty(spec.StorageClassName))
        {
            CommonValidation.ValidateDNS1123Subdomain(spec.StorageClassName, path + ".storageClassName", errors);
        }

        if (spec.VolumeMode is { } volumeMode && !VolumeModes.Contains(volumeMode))
        {
            errors.Add(FieldError.NotSupported(path + ".volumeMode", volumeMode, VolumeModes));
        }
    }
}
