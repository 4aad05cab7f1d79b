using Berth.Core.Validation;
using Berth.Serialization;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// The registry's validation entry point (upstream's strategy Validate/ValidateUpdate per resource). Models must be
/// defaulted first (<see cref="ObjectDefaulter"/>), as upstream decodes with defaulting before validating.
/// </summary>
internal static class ObjectValidator
{
    public static IReadOnlyList<FieldError> ValidateCreate(object model) => model switch
    {
        V1StatefulSet set => StatefulSetValidation.ValidateCreate(set),
        V1Pod pod => PodValidation.ValidatePodCreate(pod),
        V1Service service => ServiceValidation.ValidateCreate(service),
        V1PersistentVolumeClaim claim => PersistentVolumeClaimValidation.ValidateCreate(claim),
        V1PersistentVolume volume => PersistentVolumeValidation.ValidateCreate(volume),
        V1PodDisruptionBudget budget => PodDisruptionBudgetValidation.Validate(budget, null),
        V1ConfigMap map => ConfigDataValidation.ValidateConfigMap(map, null),
        V1Secret secret => ConfigDataValidation.ValidateSecret(secret, null),
        V1Namespace ns => NamespaceValidation.Validate(ns, null),
        V1ControllerRevision revision => ValidateControllerRevision(revision, null),
        V1Node node => MetaOnly(node.Metadata, false, NameValidation.NameIsDNSSubdomain),
        V1StorageClass storageClass => ValidateStorageClass(storageClass),
        V1Endpoints endpoints => MetaOnly(endpoints.Metadata, true, NameValidation.NameIsDNSSubdomain),
        V1ServiceAccount account => MetaOnly(account.Metadata, true, NameValidation.NameIsDNSSubdomain),
        Corev1Event ev => MetaOnly(ev.Metadata, true, NameValidation.NameIsDNSSubdomain),
        V1Lease lease => MetaOnly(lease.Metadata, true, NameValidation.NameIsDNSSubdomain),
        V1EndpointSlice slice => EndpointSliceValidation.Validate(slice, null),
        IMetadata<V1ObjectMeta> other => MetaOnly(other.Metadata, !string.IsNullOrEmpty(other.Metadata?.NamespaceProperty), NameValidation.NameIsDNSSubdomain),
        _ => [],
    };

    public static IReadOnlyList<FieldError> ValidateUpdate(object model, object old) => (model, old) switch
    {
        (V1StatefulSet set, V1StatefulSet oldSet) => StatefulSetValidation.ValidateUpdate(set, oldSet),
        (V1Pod pod, V1Pod oldPod) => PodValidation.ValidatePodUpdate(pod, oldPod),
        (V1Service service, V1Service oldService) => ServiceValidation.ValidateUpdate(service, oldService),
        (V1PersistentVolumeClaim claim, V1PersistentVolumeClaim oldClaim) => PersistentVolumeClaimValidation.ValidateUpdate(claim, oldClaim),
        (V1PersistentVolume volume, V1PersistentVolume oldVolume) => PersistentVolumeValidation.ValidateUpdate(volume, oldVolume),
        (V1PodDisruptionBudget budget, V1PodDisruptionBudget oldBudget) => PodDisruptionBudgetValidation.Validate(budget, oldBudget),
        (V1ConfigMap map, V1ConfigMap oldMap) => ConfigDataValidation.ValidateConfigMap(map, oldMap),
        (V1Secret secret, V1Secret oldSecret) => ConfigDataValidation.ValidateSecret(secret, oldSecret),
        (V1Namespace ns, V1Namespace oldNs) => NamespaceValidation.Validate(ns, oldNs),
        (V1ControllerRevision revision, V1ControllerRevision oldRevision) => ValidateControllerRevision(revision, oldRevision),
        (V1EndpointSlice slice, V1EndpointSlice oldSlice) => EndpointSliceValidation.Validate(slice, oldSlice),
        (IMetadata<V1ObjectMeta> other, IMetadata<V1ObjectMeta> oldOther) => MetaUpdateOnly(other.Metadata, oldOther.Metadata),
        _ => [],
    };

    /// <summary>Validation for a status subresource update: metadata rules plus the kind's status rules.</summary>
    public static IReadOnlyList<FieldError> ValidateStatusUpdate(object model, object old) => (model, old) switch
    {
        (V1StatefulSet set, V1StatefulSet oldSet) => StatefulSetValidation.ValidateStatusUpdate(set, oldSet),
        (IMetadata<V1ObjectMeta> other, IMetadata<V1ObjectMeta> oldOther) => MetaUpdateOnly(other.Metadata, oldOther.Metadata),
        _ => [],
    };

    private static List<FieldError> MetaOnly(V1ObjectMeta? meta, bool namespaced, NameValidator nameFn)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMeta(meta, namespaced, nameFn, "metadata", errors);
        return errors;
    }

    private static List<FieldError> MetaUpdateOnly(V1ObjectMeta? meta, V1ObjectMeta? old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(meta, old, "metadata", errors);
        return errors;
    }

    private static List<FieldError> ValidateStorageClass(V1StorageClass storageClass)
    {
        var errors = MetaOnly(storageClass.Metadata, false, NameValidation.NameIsDNSSubdomain);
        if (string.IsNullOrEmpty(storageClass.Provisioner))
        {
            errors.Add(FieldError.Required("provisioner"));
        }

        if (storageClass.ReclaimPolicy is { } policy && policy is not ("Delete" or "Retain"))
        {
            errors.Add(FieldError.NotSupported("reclaimPolicy", policy, ["Delete", "Retain"]));
        }

        if (storageClass.VolumeBindingMode is { } mode && mode is not ("Immediate" or "WaitForFirstConsumer"))
        {
            errors.Add(FieldError.NotSupported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"]));
        }

        return errors;
    }

    /// <summary>upstream ValidateControllerRevisionCreate/Update.</summary>
    private static List<FieldError> ValidateControllerRevision(V1ControllerRevision revision, V1ControllerRevision? old)
    {
        var errors = new List<FieldError>();
        if (old is null)
        {
            ObjectMetaValidation.ValidateObjectMeta(revision.Metadata, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        }
        else
        {
            ObjectMetaValidation.ValidateObjectMetaUpdate(revision.Metadata, old.Metadata, "metadata", errors);
        }

        if (revision.Data is null)
        {
            errors.Add(FieldError.Required("data", "data is mandatory"));
        }

        CommonValidation.ValidateNonnegative(revision.Revision ?? 0, "revision", errors);
        if (old is not null && !BerthJson.SerializeToUtf8Bytes(revision.Data).AsSpan().SequenceEqual(BerthJson.SerializeToUtf8Bytes(old.Data)))
        {
            errors.Add(FieldError.Invalid("data", new GoValue.Literal("runtime.RawExtension{...}"), ObjectMetaValidation.FieldImmutableErrorMsg));
        }

        return errors;
    }
}
