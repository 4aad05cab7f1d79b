using System.Globalization;
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

    public WriteOptions ToWriteOptions() => new()
    {
        DryRun = DryRun,
        FieldManager = FieldManager,
        FieldValidation = FieldValidation,
    };

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
