using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

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

    /// <summary>
    /// Every non-empty document of a multi-document stream (<c>---</c>), in order. A key repeated in one mapping
    /// keeps its last value, as go-yaml v2 does; <paramref name="duplicateKeys"/>, when given, collects go-yaml's
    /// strict-mode text for each (<c>line 3: key "a" already set in map</c>) so fieldValidation can report them.
    /// </summary>
    public static IReadOnlyList<JsonNode> ConvertAll(string yaml, List<string>? duplicateKeys = null)
    {
        var parser = new Parser(new StringReader(yaml));
        var reader = new Reader(parser, duplicateKeys);
        var result = new List<JsonNode>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                reader.Anchors.Clear();
                var node = parser.Accept<DocumentEnd>(out _) ? null : reader.ReadNode(0);
                parser.Consume<DocumentEnd>();
                if (node is not null)
                {
                    result.Add(node);
                }
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            var line = e.Start.Line;
            var message = e.InnerException is YamlException inner && !string.IsNullOrEmpty(inner.Message) ? inner.Message : e.Message;
            throw new YamlConversionException($"yaml: line {line}: {StripPosition(message)}", line);
        }

        return result;
    }

    public static IReadOnlyList<JsonNode> ConvertAll(ReadOnlySpan<byte> utf8Yaml, List<string>? duplicateKeys = null) =>
        ConvertAll(Encoding.UTF8.GetString(utf8Yaml), duplicateKeys);

    /// <summary>One document (an apply-patch+yaml body): null when empty, an error when there are several.</summary>
    public static JsonNode? ConvertSingle(string yaml, List<string>? duplicateKeys = null)
    {
        var docs = ConvertAll(yaml, duplicateKeys);
        return docs.Count switch
        {
            0 => null,
            1 => docs[0],
            _ => throw new YamlConversionException($"yaml: expected a single document, found {docs.Count}", 1),
        };
    }

    private static string StripPosition(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the line is ours to print.
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && i >= 0 ? message[(i + 3)..] : message;
    }

    /// <summary>Builds JSON straight from parser events (no YamlStream: it rejects duplicate keys go-yaml accepts).</summary>
    private sealed class Reader(IParser parser, List<string>? duplicateKeys)
    {
        private int _nodes;

        public Dictionary<string, (JsonNode? Node, int Size)> Anchors { get; } = new(StringComparer.Ordinal);

        public JsonNode? ReadNode(int depth)
        {
            if (depth > MaxDepth)
            {
                throw TooLarge(parser.Current?.Start.Line ?? 0);
            }

            var start = _nodes;
            var evt = parser.Current!;
            var line = evt.Start.Line;
            JsonNode? node;
            string? anchor = null;
            switch (evt)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!Anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw new YamlConversionException($"yaml: line {line}: unknown anchor '{alias.Value.Value}' referenced", line);
                    }

                    Count(target.Size, line);
                    return target.Node?.DeepClone();
                case Scalar scalar:
                    parser.MoveNext();
                    anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
                    Count(1, line);
                    node = ConvertScalar(scalar.Value, scalar.Tag.IsEmpty ? null : scalar.Tag.Value, scalar.Style, line);
                    break;
                case SequenceStart seq:
                    parser.MoveNext();
                    anchor = seq.Anchor.IsEmpty ? null : seq.Anchor.Value;
                    Count(1, line);
                    var array = new JsonArray();
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        array.Add(ReadNode(depth + 1));
                    }

                    node = array;
                    break;
                case MappingStart map:
                    parser.MoveNext();
                    anchor = map.Anchor.IsEmpty ? null : map.Anchor.Value;
                    Count(1, line);
                    node = ReadMapping(depth);
                    break;
                default:
                    throw new YamlConversionException($"yaml: line {line}: unexpected {evt.GetType().Name}", line);
            }

            if (anchor is not null)
            {
                Anchors[anchor] = (node, _nodes - start);
            }

            return node;
        }

        private JsonObject ReadMapping(int depth)
        {
            var obj = new JsonObject();
            var merges = new List<(JsonNode? Value, long Line)>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                var keyLine = keyEvent.Start.Line;
                var isMergeKey = keyEvent is Scalar { Value: "<<", Style: ScalarStyle.Plain } k && k.Tag.IsEmpty;
                var key = ReadNode(depth + 1);
                var value = ReadNode(depth + 1);
                if (isMergeKey)
                {
                    merges.Add((value, keyLine));
                    continue;
                }

                var name = KeyString(key, keyLine);
                if (obj.ContainsKey(name))
                {
                    duplicateKeys?.Add($"line {keyLine}: key {Berth.Core.Selectors.GoFormat.Quote(name)} already set in map");
                    obj.Remove(name);
                }

                obj[name] = value;
            }

            // YAML 1.1 merge keys (go-yaml v2 honours them): merged maps only fill in missing keys.
            foreach (var (value, mergeLine) in merges)
            {
                var sources = value switch
                {
                    JsonObject m => [m],
                    JsonArray a when a.All(i => i is JsonObject) => a.Cast<JsonObject>().ToList(),
                    _ => throw new YamlConversionException(
                        $"yaml: line {mergeLine}: map merge requires map or sequence of maps as the value", mergeLine),
                };
                foreach (var source in sources)
                {
                    foreach (var (k, v) in source.ToList())
                    {
                        if (!obj.ContainsKey(k))
                        {
                            obj[k] = v?.DeepClone();
                        }
                    }
                }
            }

            return obj;
        }

        private void Count(int size, long line)
        {
            _nodes += size;
            if (_nodes > MaxNodes)
            {
                throw TooLarge(line);
            }
        }

        private static YamlConversionException TooLarge(long line) =>
            new($"yaml: line {line}: document is too deeply nested or too large (alias expansion?)", line);

        /// <summary>sigs.k8s.io/yaml's key conversion: strings as is, ints, floats and bools printed, others rejected.</summary>
        private static string KeyString(JsonNode? key, long line) => key switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => throw new YamlConversionException(
                $"yaml: line {line}: unsupported map key of type: {(key is null ? "<nil>" : key is JsonArray ? "[]interface {}" : "map[interface {}]interface {}")}",
                line),
        };
    }

    private static JsonNode? ConvertScalar(string value, string? tag, ScalarStyle style, long line)
    {
        var plain = style is ScalarStyle.Plain or ScalarStyle.Any;
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
                var typed = Resolve(value, line);
                if ((typed is null && value.Length != 0) || (typed is JsonValue tv && tv.TryGetValue<string>(out _)))
                {
                    throw new YamlConversionException($"yaml: line {line}: cannot decode !!{tag[18..]} `{value}`", line);
                }

                return typed;
            case null or "!":
                // "!" is the non-specific tag of quoted scalars: those are strings.
                return plain && tag is null ? Resolve(value, line) : JsonValue.Create(value);
            default:
                // Custom local tags (!foo): go-yaml keeps the value as a string.
                return JsonValue.Create(value);
        }
    }

    private static JsonNode? Resolve(string value, long line)
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
                var go = value.Contains("nan", StringComparison.OrdinalIgnoreCase) ? "NaN" : value[0] == '-' ? "-Inf" : "+Inf";
                throw new YamlConversionException($"yaml: line {line}: json: unsupported value: {go}", line);
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
