using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream pkg/apis/apps/validation: ValidateStatefulSet, ValidateStatefulSetSpec, ValidateStatefulSetUpdate.</summary>
internal static class StatefulSetValidation
{
    private static readonly string[] RetentionPolicyTypes = ["Retain", "Delete"];

    private static readonly string[] MutableFields =
        ["replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy"];

    // The fields kubectl 1.27-1.33 clusters let an update change; the message lists them in this order.
    public const string ForbiddenUpdateMessage =
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

    public static List<FieldError> ValidateCreate(V1StatefulSet set)
    {
        var errors = new List<FieldError>();

        // A StatefulSet's name becomes every pod's name prefix and hostname, so it must be a DNS label (since 1.26).
        ObjectMetaValidation.ValidateObjectMeta(set.Metadata, true, NameValidation.NameIsDNSLabel, "metadata", errors);
        ValidateSpec(set.Spec, "spec", errors, validateClaimTemplates: true);
        return errors;
    }

    public static List<FieldError> ValidateUpdate(V1StatefulSet set, V1StatefulSet old)
    {
        // upstream does not re-validate the name on update: older sets may have DNS-subdomain names.
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(set.Metadata, old.Metadata, "metadata", errors);
        ValidateSpec(set.Spec, "spec", errors, validateClaimTemplates: false);

        // upstream copies the mutable fields from the old spec onto a clone of the new one and compares; the same,
        // done on the JSON forms (one serialisation each instead of a deep copy).
        var updated = SemanticEquality.ToNode(set.Spec ?? new V1StatefulSetSpec());
        var previous = SemanticEquality.ToNode(old.Spec ?? new V1StatefulSetSpec());
        foreach (var field in MutableFields)
        {
            if (previous[field] is { } value)
            {
                updated[field] = value.DeepClone();
            }
            else
            {
                updated.Remove(field);
            }
        }

        if (!System.Text.Json.Nodes.JsonNode.DeepEquals(updated, previous))
        {
            errors.Add(FieldError.Forbidden("spec", ForbiddenUpdateMessage));
        }

        return errors;
    }

    /// <summary>upstream ValidateStatefulSetStatusUpdate.</summary>
    public static List<FieldError> ValidateStatusUpdate(V1StatefulSet set, V1StatefulSet old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(set.Metadata, old.Metadata, "metadata", errors);
        var status = set.Status ?? new V1StatefulSetStatus();
        CommonValidation.ValidateNonnegative(status.Replicas, "status.replicas", errors);
        CommonValidation.ValidateNonnegative(status.ReadyReplicas ?? 0, "status.readyReplicas", errors);
        CommonValidation.ValidateNonnegative(status.CurrentReplicas ?? 0, "status.currentReplicas", errors);
        CommonValidation.ValidateNonnegative(status.UpdatedReplicas ?? 0, "status.updatedReplicas", errors);
        CommonValidation.ValidateNonnegative(status.AvailableReplicas ?? 0, "status.availableReplicas", errors);
        if (status.ObservedGeneration is { } observed)
        {
            CommonValidation.ValidateNonnegative(observed, "status.observedGeneration", errors);
        }

        if (status.CollisionCount is { } collisions)
        {
            CommonValidation.ValidateNonnegative(collisions, "status.collisionCount", errors);
        }

        const string greater = "cannot be greater than status.replicas";
        if ((status.ReadyReplicas ?? 0) > status.Replicas)
        {
            errors.Add(FieldError.Invalid("status.readyReplicas", status.ReadyReplicas ?? 0, greater));
        }

        if ((status.CurrentReplicas ?? 0) > status.Replicas)
        {
            errors.Add(FieldError.Invalid("status.currentReplicas", status.CurrentReplicas ?? 0, greater));
        }

        if ((status.UpdatedReplicas ?? 0) > status.Replicas)
        {
            errors.Add(FieldError.Invalid("status.updatedReplicas", status.UpdatedReplicas ?? 0, greater));
        }

        if ((status.AvailableReplicas ?? 0) > status.Replicas)
        {
            errors.Add(FieldError.Invalid("status.availableReplicas", status.AvailableReplicas ?? 0, greater));
        }

        if ((status.AvailableReplicas ?? 0) > (status.ReadyReplicas ?? 0))
        {
            errors.Add(FieldError.Invalid("status.availableReplicas", status.AvailableReplicas ?? 0, "cannot be greater than status.readyReplicas"));
        }

        if (old.Status?.CollisionCount is { } oldCount && (status.CollisionCount ?? 0) < oldCount)
        {
            errors.Add(FieldError.Invalid("status.collisionCount", status.CollisionCount ?? 0, "cannot be decremented"));
        }

        return errors;
    }

    private static void ValidateSpec(V1StatefulSetSpec? spec, string path, List<FieldError> errors, bool validateClaimTemplates)
    {
        spec ??= new V1StatefulSetSpec();
        switch (spec.PodManagementPolicy)
        {
            case null or "":
                errors.Add(FieldError.Required(path + ".podManagementPolicy"));
                break;
            case "OrderedReady" or "Parallel":
                break;
            default:
                errors.Add(FieldError.Invalid(path + ".podManagementPolicy", spec.PodManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
                break;
        }

        var strategy = spec.UpdateStrategy;
        switch (strategy?.Type)
        {
            case null or "":
                errors.Add(FieldError.Required(path + ".updateStrategy"));
                break;
            case "OnDelete":
                if (strategy.RollingUpdate is not null)
                {
                    errors.Add(FieldError.Invalid(path + ".updateStrategy.rollingUpdate", new GoValue.Literal(Describe(strategy.RollingUpdate)),
                        "only allowed for updateStrategy 'RollingUpdate'"));
                }

                break;
            case "RollingUpdate":
                if (strategy.RollingUpdate is { } rolling)
                {
                    ValidateRollingUpdate(rolling, path + ".updateStrategy.rollingUpdate", errors);
                }

                break;
            default:
                errors.Add(FieldError.Invalid(path + ".updateStrategy", new GoValue.Literal($"apps.StatefulSetUpdateStrategy{{Type:\"{strategy.Type}\"}}"),
                    "must be 'RollingUpdate' or 'OnDelete'"));
                break;
        }

        if (spec.PersistentVolumeClaimRetentionPolicy is { } retention)
        {
            ValidateRetentionType(retention.WhenDeleted, path + ".persistentVolumeClaimRetentionPolicy.whenDeleted", errors);
            ValidateRetentionType(retention.WhenScaled, path + ".persistentVolumeClaimRetentionPolicy.whenScaled", errors);
        }

        CommonValidation.ValidateNonnegative(spec.Replicas ?? 0, path + ".replicas", errors);
        CommonValidation.ValidateNonnegative(spec.MinReadySeconds ?? 0, path + ".minReadySeconds", errors);
        if (spec.Ordinals is { } ordinals)
        {
            // upstream names the path literally "spec.ordinals.start".
            CommonValidation.ValidateNonnegative(ordinals.Start ?? 0, path + ".ordinals.start", errors);
        }

        // (1.33) serviceName is optional; when given it becomes each pod's subdomain, so it must be a DNS label.
        if (!string.IsNullOrEmpty(spec.ServiceName))
        {
            CommonValidation.ValidateDNS1123Label(spec.ServiceName, path + ".serviceName", errors);
        }

        if (spec.Selector is null)
        {
            errors.Add(FieldError.Required(path + ".selector"));
        }
        else
        {
            LabelSelectorValidation.ValidateLabelSelector(spec.Selector, path + ".selector", errors);
            if (LabelSelectorValidation.IsEmpty(spec.Selector))
            {
                errors.Add(FieldError.Invalid(path + ".selector", new GoValue.Literal(DescribeSelector(spec.Selector)), "empty selector is invalid for statefulset"));
            }
        }

        var template = spec.Template;
        if (spec.Selector is not null && !LabelSelectorValidation.IsEmpty(spec.Selector)
            && !LabelSelectorValidation.Matches(spec.Selector, template?.Metadata?.Labels))
        {
            errors.Add(FieldError.Invalid(path + ".template.metadata.labels",
                (IEnumerable<KeyValuePair<string, string>>?)template?.Metadata?.Labels ?? new Dictionary<string, string>(),
                "`selector` does not match template `labels`"));
        }

        // Claim templates act as volumes of the pod template, so mounts of them are valid (upstream 1.34 does the same).
        var claimNames = (spec.VolumeClaimTemplates ?? []).Select(c => c.Metadata?.Name ?? "").Where(n => n.Length > 0).ToList();
        PodValidation.ValidatePodTemplateSpec(template, claimNames, path + ".template", errors);

        if (template?.Spec?.RestartPolicy is { } restart && restart != "Always")
        {
            errors.Add(FieldError.NotSupported(path + ".template.spec.restartPolicy", restart, ["Always"]));
        }

        if (template?.Spec?.ActiveDeadlineSeconds is not null)
        {
            errors.Add(FieldError.Forbidden(path + ".template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"));
        }

        if (validateClaimTemplates)
        {
            var claims = spec.VolumeClaimTemplates ?? [];
            for (var i = 0; i < claims.Count; i++)
            {
                var claimPath = $"{path}.volumeClaimTemplates[{i}]";
                if (string.IsNullOrEmpty(claims[i].Metadata?.Name))
                {
                    errors.Add(FieldError.Required(claimPath + ".metadata.name"));
                }

                PersistentVolumeClaimValidation.ValidateSpec(claims[i].Spec, claimPath + ".spec", errors);
            }
        }
    }

    private static void ValidateRollingUpdate(V1RollingUpdateStatefulSetStrategy rolling, string path, List<FieldError> errors)
    {
        CommonValidation.ValidateNonnegative(rolling.Partition ?? 0, path + ".partition", errors);
        if (rolling.MaxUnavailable is { } maxUnavailable)
        {
            var maxPath = path + ".maxUnavailable";
            CommonValidation.ValidatePositiveIntOrPercent(maxUnavailable, maxPath, errors);
            if (CommonValidation.IntOrPercentValue(maxUnavailable) == 0)
            {
                errors.Add(FieldError.Invalid(maxPath, maxUnavailable, "cannot be 0"));
            }

            CommonValidation.IsNotMoreThan100Percent(maxUnavailable, maxPath, errors);
        }
    }

    private static void ValidateRetentionType(string? value, string path, List<FieldError> errors)
    {
        if (value is not ("Retain" or "Delete"))
        {
            errors.Add(FieldError.NotSupported(path, value ?? "", RetentionPolicyTypes));
        }
    }

    private static string Describe(V1RollingUpdateStatefulSetStrategy rolling) =>
        $"&apps.RollingUpdateStatefulSetStrategy{{Partition:{rolling.Partition ?? 0}, MaxUnavailable:{(rolling.MaxUnavailable is null ? "<nil>" : rolling.MaxUnavailable.Value)}}}";

    private static string DescribeSelector(V1LabelSelector selector) =>
        "&v1.LabelSelector{MatchLabels:" + GoValue.Format((IEnumerable<KeyValuePair<string, string>>?)selector.MatchLabels ?? new Dictionary<string, string>())
        + ", MatchExpressions:[]v1.LabelSelectorRequirement(nil)}";
}
