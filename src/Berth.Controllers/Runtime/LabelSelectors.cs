using System.Text;
using k8s.Models;

namespace Berth.Controllers.Runtime;

/// <summary>metav1.LabelSelector matching (LabelSelectorAsSelector semantics) and its string form.</summary>
internal static class LabelSelectors
{
    /// <summary>
    /// True when <paramref name="labels"/> satisfy every matchLabels pair and matchExpressions requirement. A nil
    /// selector matches nothing and an empty one everything, as upstream.
    /// </summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }

        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels is not null)
        {
            foreach (var (k, v) in selector.MatchLabels)
            {
                if (!labels.TryGetValue(k, out var actual) || actual != v)
                {
                    return false;
                }
            }
        }

        if (selector.MatchExpressions is not null)
        {
            foreach (var r in selector.MatchExpressions)
            {
                var has = labels.TryGetValue(r.Key, out var value);
                var ok = r.OperatorProperty switch
                {
                    "In" => has && r.Values?.Contains(value!) == true,
                    "NotIn" => !has || r.Values?.Contains(value!) != true,
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok)
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static bool IsEmpty(V1LabelSelector selector) =>
        (selector.MatchLabels is null || selector.MatchLabels.Count == 0)
        && (selector.MatchExpressions is null || selector.MatchExpressions.Count == 0);

    /// <summary>The selector in label-selector query syntax (what the scale subresource reports), keys sorted.</summary>
    public static string Format(V1LabelSelector selector)
    {
        var parts = new List<(string Key, string Text)>();
        foreach (var (k, v) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            parts.Add((k, k + "=" + v));
        }

        foreach (var r in selector.MatchExpressions ?? [])
        {
            var values = string.Join(",", (r.Values ?? []).Order(StringComparer.Ordinal));
            parts.Add((r.Key, r.OperatorProperty switch
            {
                "In" => $"{r.Key} in ({values})",
                "NotIn" => $"{r.Key} notin ({values})",
                "Exists" => r.Key,
                _ => "!" + r.Key,
            }));
        }

        var sb = new StringBuilder();
        foreach (var p in parts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(p.Text);
        }

        return sb.ToString();
    }
}
