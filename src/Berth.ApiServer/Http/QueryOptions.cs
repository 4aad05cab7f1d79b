using System.Globalization;
using System.Text;
using Berth.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>The query parameters of a resource request, parsed and checked as upstream does.</summary>
internal sealed record QueryOptions
{
    public bool Watch { get; init; }
    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }
    public long Limit { get; init; }
    public string? Continue { get; init; }
    public string? ResourceVersion { get; init; }
    public string? ResourceVersionMatch { get; init; }
    public bool AllowWatchBookmarks { get; init; }
    public long? TimeoutSeconds { get; init; }
    public bool? SendInitialEvents { get; init; }
    public string IncludeObject { get; init; } = "Metadata";
    public bool DryRun { get; init; }
    public string? FieldManager { get; init; }
    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;
    public bool Force { get; init; }

    public static QueryOptions Parse(IQueryCollection query)
    {
        string? Get(string name) => query.TryGetValue(name, out var v) ? v.ToString() : null;
        bool Bool(string name) => Get(name) is { } v && (v == "true" || v == "1" || v == "True");

        var dryRun = query.TryGetValue("dryRun", out var dry) ? dry.ToArray() : [];
        foreach (var d in dryRun)
        {
            if (d != "All")
            {
                // upstream ValidateDryRun
                throw Errors.BadRequest($"dryRun: Unsupported value: \"{d}\": supported values: \"All\"");
            }
        }

        var validation = Get("fieldValidation") switch
        {
            null or "" or "Warn" => FieldValidation.Warn,
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            var other => throw Errors.BadRequest(
                $"fieldValidation parameter unsupported: {other}. Valid options are \"Ignore\", \"Warn\", or \"Strict\""),
        };

        return new QueryOptions
        {
            Watch = Bool("watch"),
            LabelSelector = Get("labelSelector"),
            FieldSelector = Get("fieldSelector"),
            Limit = Long(Get("limit"), "limit") ?? 0,
            Continue = Get("continue") is { Length: > 0 } c ? c : null,
            ResourceVersion = Get("resourceVersion"),
            ResourceVersionMatch = Get("resourceVersionMatch") is { Length: > 0 } m ? m : null,
            AllowWatchBookmarks = Bool("allowWatchBookmarks"),
            TimeoutSeconds = Long(Get("timeoutSeconds"), "timeoutSeconds"),
            SendInitialEvents = Get("sendInitialEvents") is { } s ? s == "true" : null,
            IncludeObject = Get("includeObject") switch
            {
                null or "" or "Metadata" => "Metadata",
                "Object" => "Object",
                "None" => "None",
                var other => throw Errors.BadRequest($"includeObject: Unsupported value: \"{other}\""),
            },
            DryRun = dryRun.Length > 0,
            FieldManager = Get("fieldManager"),
            FieldValidation = validation,
            Force = Bool("force"),
        };
    }

    /// <summary>The write options, naming the field manager after the client when the request names none.</summary>
    public WriteOptions ToWriteOptions(string? userAgent, string? managedFieldsSubresource = null) => new()
    {
        DryRun = DryRun,
        FieldManager = string.IsNullOrEmpty(FieldManager) ? ManagerFromUserAgent(userAgent) : FieldManager,
        FieldValidation = FieldValidation,
        ManagedFieldsSubresource = managedFieldsSubresource,
    };

    /// <summary>
    /// upstream prefixFromUserAgent: what precedes the first "/" of the User-Agent ("kubectl/v1.33.1 (linux/amd64)
    /// kubernetes/8adc0f0" is "kubectl"), without unprintable characters, at most 128 bytes.
    /// </summary>
    public static string ManagerFromUserAgent(string? userAgent)
    {
        var prefix = (userAgent ?? "").Split('/')[0];
        var result = new System.Text.StringBuilder(prefix.Length);
        var bytes = 0;
        foreach (var rune in prefix.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Value == 0xFFFD || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format
                or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                || (Rune.IsWhiteSpace(rune) && rune.Value != ' '))
            {
                continue;
            }

            if (bytes + rune.Utf8SequenceLength > 128)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            result.Append(rune.ToString());
        }

        return result.ToString();
    }

    private static long? Long(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Errors.BadRequest($"{name}: Invalid value: \"{value}\": must be an integer");
    }
}
