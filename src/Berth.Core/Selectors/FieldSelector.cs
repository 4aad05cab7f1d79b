using System.Text;

namespace Berth.Core.Selectors;

/// <summary>
/// A parsed field selector (apimachinery fields.ParseSelector): terms split on unescaped commas, sorted, each
/// split at the first '!=', '==' or '=', values unescaped (<c>\\</c>, <c>\,</c>, <c>\=</c>).
/// </summary>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<FieldSelectorRequirement> requirements) => Requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<FieldSelectorRequirement> Requirements { get; }

    public bool IsEverything => Requirements.Count == 0;

    /// <summary>The distinct field names referenced, in order: the server rejects ones a resource does not support.</summary>
    public IReadOnlyList<string> Fields => [.. Requirements.Select(r => r.Field).Distinct(StringComparer.Ordinal)];

    public static FieldSelector Parse(string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return Everything;
        }

        var parts = SplitTerms(selector);
        parts.Sort(StringComparer.Ordinal);
        var items = new List<FieldSelectorRequirement>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }

            if (!SplitTerm(part, out var lhs, out var op, out var rhs))
            {
                throw new SelectorParseException($"invalid selector: '{selector}'; can't understand '{part}'");
            }

            items.Add(new FieldSelectorRequirement(lhs, op, UnescapeValue(rhs)));
        }

        return items.Count == 0 ? Everything : new FieldSelector(items);
    }

    public bool Matches(Func<string, string?> fieldValue)
    {
        foreach (var r in Requirements)
        {
            if (!r.Matches(fieldValue))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Upstream RequiresExactMatch: the value an '=' or '==' term pins for the field.</summary>
    public bool RequiresExactMatch(string field, out string value)
    {
        foreach (var r in Requirements)
        {
            if (string.Equals(r.Field, field, StringComparison.Ordinal) && r.Operator != SelectorOperator.NotEquals)
            {
                value = r.Value;
                return true;
            }
        }

        value = "";
        return false;
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>Upstream fields.EscapeValue.</summary>
    public static string EscapeValue(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);

    /// <summary>Upstream fields.UnescapeValue with its InvalidEscapeSequence/UnescapedRune messages.</summary>
    public static string UnescapeValue(string s)
    {
        if (s.AsSpan().IndexOfAny('\\', ',', '=') < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var inSlash = false;
        foreach (var c in s)
        {
            if (inSlash)
            {
                if (c is '\\' or ',' or '=')
                {
                    sb.Append(c);
                }
                else
                {
                    throw new SelectorParseException("invalid field selector: invalid escape sequence: \\" + c);
                }

                inSlash = false;
                continue;
            }

            switch (c)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',' or '=':
                    // Go prints the rune with %v, i.e. as its code point number.
                    throw new SelectorParseException("invalid field selector: unescaped character in value: " + (int)c);
                default:
                    sb.Append(c);
                    break;
            }
        }

        if (inSlash)
        {
            throw new SelectorParseException("invalid field selector: invalid escape sequence: \\");
        }

        return sb.ToString();
    }

    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < selector.Length; i++)
        {
            var c = selector[i];
            if (inSlash)
            {
                inSlash = false;
            }
            else if (c == '\\')
            {
                inSlash = true;
            }
            else if (c == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }

        terms.Add(selector[start..]);
        return terms;
    }

    private static bool SplitTerm(string term, out string lhs, out SelectorOperator op, out string rhs)
    {
        for (var i = 0; i < term.Length; i++)
        {
            var rest = term.AsSpan(i);
            if (rest.StartsWith("!=", StringComparison.Ordinal))
            {
                (lhs, op, rhs) = (term[..i], SelectorOperator.NotEquals, term[(i + 2)..]);
                return true;
            }

            if (rest.StartsWith("==", StringComparison.Ordinal))
            {
                (lhs, op, rhs) = (term[..i], SelectorOperator.DoubleEquals, term[(i + 2)..]);
                return true;
            }

            if (rest[0] == '=')
            {
                (lhs, op, rhs) = (term[..i], SelectorOperator.Equals, term[(i + 1)..]);
                return true;
            }
        }

        (lhs, op, rhs) = ("", SelectorOperator.Equals, "");
        return false;
    }
}
