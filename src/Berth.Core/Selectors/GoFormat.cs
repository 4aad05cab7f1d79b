using System.Globalization;
using System.Text;

namespace Berth.Core.Selectors;

/// <summary>
/// The bits of Go's fmt that upstream error messages embed (<c>%q</c> on strings, <c>%#v</c> on string slices,
/// field.Error's <c>path: Invalid value: ...: detail</c>), so our messages read byte for byte like a real server's.
/// </summary>
public static class GoFormat
{
    /// <summary>Go's <c>%q</c> / strconv.Quote for a string.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                    {
                        sb.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                             or UnicodeCategory.OtherNotAssigned)
                    {
                        sb.Append(rune.Value > 0xffff ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture)
                            : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(rune.ToString());
                    }

                    break;
            }
        }

        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>Go's <c>%#v</c> for a <c>[]string</c>: <c>[]string{"a", "b"}</c>, <c>[]string(nil)</c> when null.</summary>
    public static string StringSlice(IReadOnlyList<string>? values) =>
        values is null ? "[]string(nil)" : "[]string{" + string.Join(", ", values.Select(Quote)) + "}";

    /// <summary>field.Invalid(path, value, detail).Error() for a string value.</summary>
    public static string Invalid(string? path, string value, string detail) =>
        (path ?? "<nil>") + ": Invalid value: " + Quote(value) + (detail.Length == 0 ? "" : ": " + detail);

    /// <summary>field.Invalid(path, value, detail).Error() for a []string value.</summary>
    public static string Invalid(string? path, IReadOnlyList<string>? value, string detail) =>
        (path ?? "<nil>") + ": Invalid value: " + StringSlice(value) + (detail.Length == 0 ? "" : ": " + detail);

    /// <summary>utilerrors.Aggregate's Error(): one message alone, several in brackets, duplicates dropped.</summary>
    public static string Aggregate(IEnumerable<string> messages)
    {
        var distinct = messages.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}
