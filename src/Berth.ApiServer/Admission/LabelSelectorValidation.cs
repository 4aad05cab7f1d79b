using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream meta/v1/validation ValidateLabelSelector and LabelSelectorAsSelector(...).Matches.</summary>
internal static class LabelSelectorValidation
{
    public static void ValidateLabelSelector(V1LabelSelector? selector, string path, List<FieldError> errors)
    {
        if (selector is null)
        {
            return;
        }

        ObjectMetaValidation.ValidateLabels(selector.MatchLabels, path + ".matchLabels", errors);
        var expressions = selector.MatchExpressions ?? [];
        for (var i = 0; i < expressions.Count; i++)
        {
            var requirement = expressions[i];
            var itemPath = $"{path}.matchExpressions[{i}]";
            var values = requirement.Values ?? [];
            switch (requirement.OperatorProperty)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        errors.Add(FieldError.Required(itemPath + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        errors.Add(FieldError.Forbidden(itemPath + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }

                    break;
                default:
                    errors.Add(FieldError.Invalid(itemPath + ".operator", requirement.OperatorProperty ?? "", "not a valid selector operator"));
                    break;
            }

            ObjectMetaValidation.ValidateLabelName(requirement.Key ?? "", itemPath + ".key", errors);
            for (var v = 0; v < values.Count; v++)
            {
                foreach (var message in NameValidation.IsValidLabelValue(values[v] ?? ""))
                {
                    errors.Add(FieldError.Invalid($"{itemPath}.values[{v}]", values[v] ?? "", message));
                }
            }
        }
    }

    /// <summary>True when the selector has neither matchLabels nor matchExpressions (upstream selector.Empty()).</summary>
    public static bool IsEmpty(V1LabelSelector selector) =>
        (selector.MatchLabels?.Count ?? 0) + (selector.MatchExpressions?.Count ?? 0) == 0;

    /// <summary>upstream labels.Selector.Matches: every matchLabels pair and every expression holds.</summary>
    public static bool Matches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(requirement.Key ?? "", out var actual);
            var values = requirement.Values ?? [];
            var ok = requirement.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
