using k8s.Models;

namespace Berth.Core.Selectors;

/// <summary>
/// A parsed label selector (apimachinery labels.Selector): the AND of its requirements, sorted by key.
/// <see cref="Nothing"/> (from a null V1LabelSelector) matches no object, <see cref="Everything"/> every object.
/// </summary>
public sealed class LabelSelector
{
    private readonly bool _nothing;

    private LabelSelector(IReadOnlyList<LabelSelectorRequirement> requirements, bool nothing)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    public static LabelSelector Everything { get; } = new([], nothing: false);

    /// <summary>Upstream labels.Nothing(): what a nil *metav1.LabelSelector converts to.</summary>
    public static LabelSelector Nothing { get; } = new([], nothing: true);

    public IReadOnlyList<LabelSelectorRequirement> Requirements { get; }

    /// <summary>True when the selector does not restrict anything (upstream Empty()).</summary>
    public bool IsEverything => !_nothing && Requirements.Count == 0;

    public bool IsNothing => _nothing;

    /// <summary>Parses the query-string syntax (<c>labelSelector=</c>); throws <see cref="SelectorParseException"/>.</summary>
    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return Everything;
        }

        var requirements = LabelSelectorParser.Parse(selector);
        if (requirements.Count == 0)
        {
            return Everything;
        }

        return new LabelSelector(SortByKey(requirements), nothing: false);
    }

    /// <summary>
    /// Upstream metav1.LabelSelectorAsSelector: null is Nothing, empty is Everything, matchLabels become '='
    /// requirements, matchExpressions map In/NotIn/Exists/DoesNotExist; bad operators or values throw.
    /// </summary>
    public static LabelSelector FromV1(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return Nothing;
        }

        var labels = selector.MatchLabels;
        var expressions = selector.MatchExpressions;
        if ((labels?.Count ?? 0) + (expressions?.Count ?? 0) == 0)
        {
            return Everything;
        }

        var requirements = new List<LabelSelectorRequirement>();
        if (labels is not null)
        {
            foreach (var (key, value) in labels)
            {
                requirements.Add(LabelSelectorRequirement.Create(key, SelectorOperator.Equals, [value]));
            }
        }

        if (expressions is not null)
        {
            foreach (var expr in expressions)
            {
                var op = expr.OperatorProperty switch
                {
                    "In" => SelectorOperator.In,
                    "NotIn" => SelectorOperator.NotIn,
                    "Exists" => SelectorOperator.Exists,
                    "DoesNotExist" => SelectorOperator.DoesNotExist,
                    _ => throw new SelectorParseException($"{GoFormat.Quote(expr.OperatorProperty ?? "")} is not a valid label selector operator"),
                };
                var values = expr.Values is null || expr.Values.Count == 0 ? null : expr.Values.ToList();
                requirements.Add(LabelSelectorRequirement.Create(expr.Key ?? "", op, values));
            }
        }

        return new LabelSelector(SortByKey(requirements), nothing: false);
    }

    /// <summary>Builds the equality selector upstream's SelectorFromSet does (no validation).</summary>
    public static LabelSelector FromSet(IDictionary<string, string>? set)
    {
        if (set is null || set.Count == 0)
        {
            return Everything;
        }

        return new LabelSelector(SortByKey(set.Select(kv => LabelSelectorRequirement.Create(kv.Key, SelectorOperator.Equals, [kv.Value]))),
            nothing: false);
    }

    public bool Matches(IDictionary<string, string>? labels)
    {
        if (_nothing)
        {
            return false;
        }

        foreach (var r in Requirements)
        {
            if (!r.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The value a selector pins for <paramref name="key"/> (upstream RequiresExactMatch: '=', '==' or a
    /// one-value 'in'), so storage can narrow a list by an index.
    /// </summary>
    public bool RequiresExactMatch(string key, out string value)
    {
        foreach (var r in Requirements)
        {
            if (string.Equals(r.Key, key, StringComparison.Ordinal))
            {
                if (r.Operator is SelectorOperator.Equals or SelectorOperator.DoubleEquals or SelectorOperator.In && r.Values.Count == 1)
                {
                    value = r.Values[0];
                    return true;
                }

                break;
            }
        }

        value = "";
        return false;
    }

    /// <summary>Upstream canonical form: requirements sorted by key joined by ','.</summary>
    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    private static LabelSelectorRequirement[] SortByKey(IEnumerable<LabelSelectorRequirement> requirements) =>
        [.. requirements.OrderBy(r => r.Key, StringComparer.Ordinal)];
}
