using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Serialization;

/// <summary>
/// YAML to JSON the way Kubernetes does it (sigs.k8s.io/yaml over go-yaml v2, no target type): plain scalars are
/// typed by YAML 1.1 rules (<c>yes/no/on/off/y/n</c> and <c>true/false</c> are booleans, <c>~</c>/<c>null</c>/empty
/// are null, ints in decimal, 0x, 0o, 0b and leading-zero octal with '_' separators, floats), quoted and block
/// scalars stay strings, timestamps stay strings, non-string keys are stringified, <c>&lt;&lt;</c> merge keys
/// apply. Used for <c>application/apply-patch+yaml</c> bodies and <c>berth up -f</c>.
/// </summary>
public static partial class YamlToJson
{
    private const int MaxDepth = 1000;
    private const int MaxNodes = 5_000_000;

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlStyleFloat();

    /// <summary>Every non-empty document of a multi-document stream (<c>---</c>), in order.</summary>
    public static IReadOnlyList<JsonNode> ConvertAll(string yaml)
    {
        var stream = Load(yaml);
        var result = new List<JsonNode>();
        var budget = new Budget();
        foreach (var doc in stream.Documents)
        {
            var node = Convert(doc.RootNode, 0, budget);
            if (node is not null)
            {
                result.Add(node);
            }
        }

        return result;
    }

    public static IReadOnlyList<JsonNode> ConvertAll(ReadOnlySpan<byte> utf8Yaml) => ConvertAll(Encoding.UTF8.GetString(utf8Yaml));

    /// <summary>One document (an apply-patch+yaml body): null when empty, an error when there are several.</summary>
    public static JsonNode? ConvertSingle(string yaml)
    {
        var docs = ConvertAll(yaml);
        return docs.Count switch
        {
            0 => null,
            1 => docs[0],
            _ => throw new YamlConversionException($"yaml: expected a single document, found {docs.Count}", 1),
        };
    }

    private static YamlStream Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var line = e.Start.Line;
            var message = e.InnerException is YamlException inner && !string.IsNullOrEmpty(inner.Message) ? inner.Message : e.Message;
            throw new YamlConversionException($"yaml: line {line}: {StripPosition(message)}", line);
        }

        return stream;
    }

    private static string StripPosition(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the line is ours to print.
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && i >= 0 ? message[(i + 3)..] : message;
    }

    private sealed class Budget
    {
        public int Nodes;
    }

    private static JsonNode? Convert(YamlNode node, int depth, Budget budget)
    {
        if (depth > MaxDepth || ++budget.Nodes > MaxNodes)
        {
            throw new YamlConversionException($"yaml: line {node.Start.Line}: document is too deeply nested or too large (alias expansion?)",
                node.Start.Line);
        }

        switch (node)
        {
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var child in seq.Children)
                {
                    array.Add(Convert(child, depth + 1, budget));
                }

                return array;
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    if (keyNode is YamlScalarNode { Value: "<<", Style: ScalarStyle.Plain } && keyNode.Tag.IsEmpty)
                    {
                        continue;
                    }

                    obj[KeyString(keyNode, depth, budget)] = Convert(valueNode, depth + 1, budget);
                }

                ApplyMergeKeys(map, obj, depth, budget);
                return obj;
            default:
                throw new YamlConversionException($"yaml: line {node.Start.Line}: unsupported node", node.Start.Line);
        }
    }

    /// <summary>YAML 1.1 merge keys (go-yaml v2 honours them): keys from the merged maps fill in what is missing.</summary>
    private static void ApplyMergeKeys(YamlMappingNode map, JsonObject obj, int depth, Budget budget)
    {
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: "<<", Style: ScalarStyle.Plain } || !keyNode.Tag.IsEmpty)
            {
                continue;
            }

            var sources = valueNode switch
            {
                YamlMappingNode m => [m],
                YamlSequenceNode s when s.Children.All(c => c is YamlMappingNode) => s.Children.Cast<YamlMappingNode>().ToList(),
                _ => throw new YamlConversionException(
                    $"yaml: line {valueNode.Start.Line}: map merge requires map or sequence of maps as the value", valueNode.Start.Line),
            };
            foreach (var source in sources)
            {
                if (Convert(source, depth + 1, budget) is not JsonObject merged)
                {
                    continue;
                }

                foreach (var (k, v) in merged.ToList())
                {
                    if (!obj.ContainsKey(k))
                    {
                        merged.Remove(k);
                        obj[k] = v;
                    }
                }
            }
        }
    }

    /// <summary>sigs.k8s.io/yaml's key conversion: strings as is, ints and bools and floats printed, others rejected.</summary>
    private static string KeyString(YamlNode keyNode, int depth, Budget budget)
    {
        var key = Convert(keyNode, depth + 1, budget);
        return key switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => throw new YamlConversionException(
                $"yaml: line {keyNode.Start.Line}: unsupported map key of type: {(key is null ? "<nil>" : key.GetValueKind().ToString().ToLowerInvariant())}",
                keyNode.Start.Line),
        };
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        switch (tag)
        {
            case "tag:yaml.org,2002:str":
            case "tag:yaml.org,2002:binary":
            case "tag:yaml.org,2002:timestamp":
                return JsonValue.Create(value);
            case "tag:yaml.org,2002:null":
                return null;
            case "tag:yaml.org,2002:bool":
            case "tag:yaml.org,2002:int":
            case "tag:yaml.org,2002:float":
                var typed = Resolve(value);
                if (typed is null && value.Length != 0 || typed is JsonValue tv && tv.TryGetValue<string>(out _))
                {
                    throw new YamlConversionException($"yaml: line {scalar.Start.Line}: cannot decode !!{tag[18..]} `{value}`", scalar.Start.Line);
                }

                return typed;
            case null or "!":
                // "!" is the non-specific tag YamlDotNet gives quoted scalars: those are strings.
                return plain && tag is null ? Resolve(value, scalar.Start.Line) : JsonValue.Create(value);
            default:
                // Custom local tags (!foo): go-yaml keeps the value as a string.
                return JsonValue.Create(value);
        }
    }

    private static JsonNode? Resolve(string value, long line = 0)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                // Go's encoding/json cannot write these; sigs.k8s.io/yaml fails the same way.
                throw new YamlConversionException($"yaml: line {line}: json: unsupported value: {value}", line);
        }

        var first = value[0];
        if (first is not ('+' or '-' or '.' or (>= '0' and <= '9')))
        {
            return JsonValue.Create(value);
        }

        var cleaned = value.Replace("_", "", StringComparison.Ordinal);
        if (TryParseGoInt(cleaned, out var integer))
        {
            return integer >= long.MinValue && integer <= long.MaxValue
                ? JsonValue.Create((long)integer)
                : JsonNode.Parse(integer.ToString(CultureInfo.InvariantCulture));
        }

        if (YamlStyleFloat().IsMatch(cleaned)
            && double.TryParse(cleaned, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonNode.Parse(FormatGoFloat(d));
        }

        return JsonValue.Create(value);
    }

    /// <summary>strconv.ParseInt(s, 0, 64) then ParseUint: sign, 0x/0o/0b prefixes, leading-zero octal.</summary>
    private static bool TryParseGoInt(string s, out BigInteger value)
    {
        value = 0;
        var negative = false;
        var body = s.AsSpan();
        if (body.Length > 0 && body[0] is '+' or '-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }

        if (body.Length == 0)
        {
            return false;
        }

        var radix = 10;
        if (body.Length > 2 && body[0] == '0' && body[1] is 'x' or 'X')
        {
            radix = 16;
            body = body[2..];
        }
        else if (body.Length > 2 && body[0] == '0' && body[1] is 'o' or 'O')
        {
            radix = 8;
            body = body[2..];
        }
        else if (body.Length > 2 && body[0] == '0' && body[1] is 'b' or 'B')
        {
            radix = 2;
            body = body[2..];
        }
        else if (body.Length > 1 && body[0] == '0')
        {
            radix = 8;
            body = body[1..];
        }

        foreach (var c in body)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return false;
            }

            value = value * radix + digit;
        }

        if (negative)
        {
            value = -value;
        }

        // int64, or uint64 for large positives; anything bigger is a float to go-yaml
        return value >= long.MinValue && value <= ulong.MaxValue;
    }

    /// <summary>Go encoding/json float64 text: shortest round trip, exponent form below 1e-6 or from 1e21.</summary>
    internal static string FormatGoFloat(double d)
    {
        var abs = Math.Abs(d);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            var s = d.ToString("E16", CultureInfo.InvariantCulture);
            var r = d.ToString("R", CultureInfo.InvariantCulture);
            if (r.Contains('E', StringComparison.Ordinal))
            {
                s = r;
            }

            var e = s.IndexOf('E', StringComparison.Ordinal);
            var mantissa = s[..e];
            var exponent = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }

        var text = d.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E', StringComparison.Ordinal))
        {
            // .NET switches to exponent form from 1e15; Go only from 1e21.
            text = d == Math.Floor(d) ? new BigInteger(d).ToString(CultureInfo.InvariantCulture)
                : ((decimal)d).ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }
}
