using System.Globalization;
using Berth.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// Query parameters of the option kinds (PodLogOptions, PodExecOptions, PodAttachOptions, PodPortForwardOptions)
/// decoded the way upstream's parameter codec does.
/// </summary>
internal static class StreamingQuery
{
    public static string? String(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>
    /// upstream runtime.Convert_Slice_string_To_bool: absent is false; "0" and "false" (any case) are false;
    /// anything else, even an empty value, is true.
    /// </summary>
    public static bool Bool(IQueryCollection query, string name)
    {
        if (String(query, name) is not { } value)
        {
            return false;
        }

        return value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>upstream Convert_Slice_string_To_int64: strconv.ParseInt, a bad value is a 400.</summary>
    public static long? Int64(IQueryCollection query, string name)
    {
        if (String(query, name) is not { } value)
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Errors.BadRequest($"strconv.ParseInt: parsing \"{value}\": invalid syntax");
    }

    /// <summary>metav1.Time in a query: RFC 3339 (upstream Convert_Slice_string_To_v1_Time).</summary>
    public static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        if (String(query, name) is not { Length: > 0 } value)
        {
            return null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            && value.Contains('T', StringComparison.Ordinal)
            ? t
            : throw Errors.BadRequest($"parsing time \"{value}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{value}\" as \"2006\"");
    }
}
