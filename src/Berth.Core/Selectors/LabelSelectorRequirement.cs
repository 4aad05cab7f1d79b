using System.Globalization;
using System.Text;
using Berth.Core.Validation;

namespace Berth.Core.Selectors;

/// <summary>
/// One requirement of a label selector (apimachinery labels.Requirement): key, operator and values. Built only
/// through <see cref="Create"/>, which applies upstream's NewRequirement validation.
/// </summary>
public sealed class LabelSelectorRequirement
{
    private static readonly string[] ValidOperators = ["in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"];

    private LabelSelectorRequirement(string key, SelectorOperator op, string[] values)
    {
        Key = key;
        Operator = op;
        Values = values;
    }

    public string Key { get; }

    public SelectorOperator Operator { get; }

    /// <summary>Values as given (parsed selectors give them sorted and de-duplicated, as upstream's sets.String).</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>
    /// Upstream NewRequirement: validates key, value count per operator, integer values for gt/lt, and each value;
    /// all problems aggregated into one message.
    /// </summary>
    public static LabelSelectorRequirement Create(string key, SelectorOperator op, IReadOnlyList<string>? values, string? path = null)
    {
        var errs = new List<string>();
        var keyPath = path is null ? "key" : path + ".key";
        var keyErrs = NameValidation.IsQualifiedName(key);
        if (keyErrs.Count != 0)
        {
            errs.Add(GoFormat.Invalid(keyPath, key, string.Join("; ", keyErrs)));
        }

        var valuesPath = path is null ? "values" : path + ".values";
        var count = values?.Count ?? 0;
        switch (op)
        {
            case SelectorOperator.In or SelectorOperator.NotIn:
                if (count == 0)
                {
                    errs.Add(GoFormat.Invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
                }

                break;
            case SelectorOperator.Equals or SelectorOperator.DoubleEquals or SelectorOperator.NotEquals:
                if (count != 1)
                {
                    errs.Add(GoFormat.Invalid(valuesPath, values, "exact-match compatibility requires one single value"));
                }

                break;
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist:
                if (count != 0)
                {
                    errs.Add(GoFormat.Invalid(valuesPath, values, "values set must be empty for exists and does not exist"));
                }

                break;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (count != 1)
                {
                    errs.Add(GoFormat.Invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
                }

                for (var i = 0; i < count; i++)
                {
                    if (!long.TryParse(values![i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    {
                        errs.Add(GoFormat.Invalid($"{valuesPath}[{i}]", values[i], "for 'Gt', 'Lt' operators, the value must be an integer"));
                    }
                }

                break;
            default:
                errs.Add((path is null ? "operator" : path + ".operator") + ": Unsupported value: " + GoFormat.Quote(op.ToString())
                    + ": supported values: " + string.Join(", ", ValidOperators.Select(GoFormat.Quote)));
                break;
        }

        for (var i = 0; i < count; i++)
        {
            var valueErrs = NameValidation.IsValidLabelValue(values![i]);
            if (valueErrs.Count != 0)
            {
                errs.Add(GoFormat.Invalid($"{valuesPath}[{i}][{key}]", values[i], string.Join("; ", valueErrs)));
            }
        }

        if (errs.Count != 0)
        {
            throw new SelectorParseException(GoFormat.Aggregate(errs));
        }

        return new LabelSelectorRequirement(key, op, values is null ? [] : [.. values]);
    }

    /// <summary>Upstream Requirement.Matches, including "NotIn/!= match when the key is absent".</summary>
    public bool Matches(IDictionary<string, string>? labels)
    {
        string? value = null;
        var exists = labels is not null && labels.TryGetValue(Key, out value);
        switch (Operator)
        {
            case SelectorOperator.In or SelectorOperator.Equals or SelectorOperator.DoubleEquals:
                return exists && HasValue(value!);
            case SelectorOperator.NotIn or SelectorOperator.NotEquals:
                return !exists || !HasValue(value!);
            case SelectorOperator.Exists:
                return exists;
            case SelectorOperator.DoesNotExist:
                return !exists;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (!exists || Values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var wanted))
                {
                    return false;
                }

                return Operator == SelectorOperator.GreaterThan ? actual > wanted : actual < wanted;
            default:
                return false;
        }
    }

    private bool HasValue(string value)
    {
        foreach (var v in Values)
        {
            if (string.Equals(v, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Upstream Requirement.String(): <c>!k</c>, <c>k</c>, <c>k=v</c>, <c>k in (a,b)</c> with sorted values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == SelectorOperator.DoesNotExist)
        {
            sb.Append('!');
        }

        sb.Append(Key);
        switch (Operator)
        {
            case SelectorOperator.Equals: sb.Append('='); break;
            case SelectorOperator.DoubleEquals: sb.Append("=="); break;
            case SelectorOperator.NotEquals: sb.Append("!="); break;
            case SelectorOperator.In: sb.Append(" in "); break;
            case SelectorOperator.NotIn: sb.Append(" notin "); break;
            case SelectorOperator.GreaterThan: sb.Append('>'); break;
            case SelectorOperator.LessThan: sb.Append('<'); break;
            default: return sb.ToString();
        }

        var set = Operator is SelectorOperator.In or SelectorOperator.NotIn;
        if (set)
        {
            sb.Append('(');
        }

        if (Values.Count == 1)
        {
            sb.Append(Values[0]);
        }
        else
        {
            var sorted = Values.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            sb.AppendJoin(',', sorted);
        }

        if (set)
        {
            sb.Append(')');
        }

        return sb.ToString();
    }
}
