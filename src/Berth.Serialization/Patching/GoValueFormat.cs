using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Serialization.Patching;

/// <summary>
/// Go's <c>%v</c> of a decoded JSON value (map[string]interface{}, []interface{}, float64, string, bool, nil), the
/// way upstream embeds patch fragments in messages such as <c>unknown patch type: foo in map: map[$patch:foo]</c>.
/// </summary>
internal static class GoValueFormat
{
    public static string Format(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("<nil>");
                break;
            case JsonObject obj:
                sb.Append("map[");
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(' ');
                    }

                    first = false;
                    sb.Append(key).Append(':');
                    Write(sb, value);
                }

                sb.Append(']');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    Write(sb, arr[i]);
                }

                sb.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        sb.Append(v.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        var d = v.GetValue<double>();
                        sb.Append(Math.Abs(d) < 1e21 && d == Math.Floor(d)
                            ? d.ToString("0", CultureInfo.InvariantCulture)
                            : d.ToString("R", CultureInfo.InvariantCulture));
                        break;
                    case JsonValueKind.True:
                        sb.Append("true");
                        break;
                    case JsonValueKind.False:
                        sb.Append("false");
                        break;
                    default:
                        sb.Append("<nil>");
                        break;
                }

                break;
        }
    }
}
