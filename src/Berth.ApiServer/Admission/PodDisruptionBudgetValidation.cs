using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream pkg/apis/policy/validation ValidatePodDisruptionBudget (policy/v1: the selector is validated strictly).</summary>
internal static class PodDisruptionBudgetValidation
{
    private static readonly string[] EvictionPolicies = ["AlwaysAllow", "IfHealthyBudget"];

    public static List<FieldError> Validate(V1PodDisruptionBudget budget, V1PodDisruptionBudget? old)
    {
        var errors = new List<FieldError>();
        if (old is null)
        {
            ObjectMetaValidation.ValidateObjectMeta(budget.Metadata, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        }
        else
        {
            ObjectMetaValidation.ValidateObjectMetaUpdate(budget.Metadata, old.Metadata, "metadata", errors);
        }

        var spec = budget.Spec ?? new V1PodDisruptionBudgetSpec();
        if (spec.MinAvailable is not null && spec.MaxUnavailable is not null)
        {
            errors.Add(FieldError.Invalid("spec", new GoValue.Literal(
                $"policy.PodDisruptionBudgetSpec{{MinAvailable:{spec.MinAvailable.Value}, MaxUnavailable:{spec.MaxUnavailable.Value}}}"),
                "minAvailable and maxUnavailable cannot be both set"));
        }

        if (spec.MinAvailable is { } min)
        {
            CommonValidation.ValidatePositiveIntOrPercent(min, "spec.minAvailable", errors);
            CommonValidation.IsNotMoreThan100Percent(min, "spec.minAvailable", errors);
        }

        if (spec.MaxUnavailable is { } max)
        {
            CommonValidation.ValidatePositiveIntOrPercent(max, "spec.maxUnavailable", errors);
            CommonValidation.IsNotMoreThan100Percent(max, "spec.maxUnavailable", errors);
        }

        LabelSelectorValidation.ValidateLabelSelector(spec.Selector, "spec.selector", errors);
        if (spec.UnhealthyPodEvictionPolicy is { } policy && !EvictionPolicies.Contains(policy))
        {
            errors.Add(FieldError.NotSupported("spec.unhealthyPodEvictionPolicy", policy, EvictionPolicies));
        }

        return errors;
    }
}
