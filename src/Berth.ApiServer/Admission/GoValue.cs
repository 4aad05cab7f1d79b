using System.Collections;
using System.Globalization;
using System.Text;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Prints a field error's bad value the way upstream's field.Error does with Go's fmt verbs: numbers and bools
/// plain (%v), strings quoted (%q), string maps and slices as Go literals (%#v, map keys sorted as fmt does).
/// Values that upstream prints with a Stringer or a struct dump are passed in pre-rendered as a <see cref="Literal"/>.
/// </summary>
internal static class GoValue
{
    /// <summary>A bad value already rendered the way upstream prints it.</summary>
    internal sealed record Literal(string Text)
    {
        public override string ToString() => Text;
    }

    public static string Format(object? value) => value switch
    {
        null => "null",
        Literal literal => literal.Text,
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int or long or short or uint or ulong => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        // intstr.IntOrString's String() has a pointer receiver, so upstream prints the struct with %#v.
        IntOrString ios => long.TryParse(ios.Value, out var number)
            ? $"intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:\"\"}}"
            : $"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{Quote(ios.Value ?? "")}}}",
        IEnumerable<KeyValuePair<string, string>> map => FormatMap(map),
        IEnumerable<string> list => "[]string{" + string.Join(", ", list.Select(Quote)) + "}",
        IEnumerable => value.ToString() ?? "",
        _ => value.ToString() ?? "",
    };

    private static string FormatMap(IEnumerable<KeyValuePair<string, string>> map)
    {
        var text = new StringBuilder("map[string]string{");
        var first = true;
        foreach (var (key, val) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            text.Append(Quote(key)).Append(':').Append(Quote(val));
        }

        return text.Append('}').ToString();
    }

    /// <summary>Go's strconv.Quote for the characters that matter in Kubernetes names and values.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\a': text.Append("\\a"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\v': text.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                    {
                        text.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                             or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse)
                    {
                        text.Append(rune.Value > 0xffff ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture)
                            : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(rune.ToString());
                    }

                    break;
            }
        }

        return text.Append('"').ToString();
    }
}
