using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Berth.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Diagnostics;

/// <summary>
/// upstream's request metrics (k8s.io/apiserver/pkg/endpoints/metrics): <c>apiserver_request_duration_seconds</c>
/// (the handler's duration, from the request reaching the handler to the last byte of its response written) and
/// <c>apiserver_request_total</c>, with upstream's names, help texts, labels and buckets, served on <c>/metrics</c>
/// in the Prometheus text format. Only resource requests for resources Berth serves are recorded, so a client
/// cannot grow the label sets (upstream's router never reaches the instrumented handler for unknown ones either).
/// </summary>
internal sealed class RequestMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>upstream requestLatencies' buckets, in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

    private const string DurationName = "apiserver_request_duration_seconds";
    private const string TotalName = "apiserver_request_total";

    // The subresources upstream serves as connecters: its installer reports their verb as CONNECT.
    private static readonly HashSet<string> ConnectSubresources = ["exec", "attach", "portforward", "proxy"];

    private readonly ConcurrentDictionary<RequestLabels, RequestSeries> _series = new();

    /// <summary>
    /// The labels upstream's MonitorRequest gives a resource request: cleanVerb over CanonicalVerb (LIST for a
    /// collection GET, WATCH for watch=true, APPLY for a server-side apply patch, DELETECOLLECTION), CleanScope
    /// (resource for a named object or a create, namespace, else cluster) and cleanDryRun.
    /// </summary>
    public static RequestLabels Labels(HttpRequest request, RequestInfo info)
    {
        var method = request.Method;
        var watch = request.Query["watch"] is { Count: > 0 } w && (w[0] is "true" or "1");
        string verb;
        if (info.Subresource is { } sub && ConnectSubresources.Contains(sub))
        {
            verb = "CONNECT";
        }
        else
        {
            verb = method switch
            {
                "GET" or "HEAD" when watch => "WATCH",
                "GET" or "HEAD" => info.Name is null ? "LIST" : "GET",
                "DELETE" when info.Name is null => "DELETECOLLECTION",
                "PATCH" when MediaTypes.Essence(request.ContentType) == MediaTypes.ApplyPatch => "APPLY",
                "POST" or "PUT" or "PATCH" or "DELETE" => method,
                _ => "other",
            };
        }

        var scope = info.Name is not null || method == "POST" ? "resource" : info.Namespace is not null ? "namespace" : "cluster";
        var dryRun = request.Query["dryRun"] switch
        {
            { Count: 0 } => "",
            var values when values.All(v => v == "All") => "All",
            _ => "invalid",
        };
        return new RequestLabels(verb, dryRun, info.Group, info.Version, info.Resource, info.Subresource ?? "", scope);
    }

    public void Observe(RequestLabels labels, int code, long elapsedTicks) =>
        _series.GetOrAdd(labels, static _ => new RequestSeries()).Observe(elapsedTicks, code);

    /// <summary>Both families in the text exposition format, label names sorted as client_golang writes them.</summary>
    public byte[] Render()
    {
        var series = _series.OrderBy(s => s.Key.Group, StringComparer.Ordinal).ThenBy(s => s.Key.Version, StringComparer.Ordinal)
            .ThenBy(s => s.Key.Resource, StringComparer.Ordinal).ThenBy(s => s.Key.Subresource, StringComparer.Ordinal)
            .ThenBy(s => s.Key.Verb, StringComparer.Ordinal).ThenBy(s => s.Key.Scope, StringComparer.Ordinal)
            .ThenBy(s => s.Key.DryRun, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        text.Append("# HELP ").Append(DurationName).Append(" [STABLE] Response latency distribution in seconds for each verb, dry run value, group, ")
            .Append("version, resource, subresource, scope and component.\n");
        text.Append("# TYPE ").Append(DurationName).Append(" histogram\n");
        foreach (var (labels, s) in series)
        {
            var cumulative = s.CumulativeBuckets();
            for (var i = 0; i < cumulative.Length; i++)
            {
                var le = i < Buckets.Length ? Float(Buckets[i]) : "+Inf";
                text.Append(DurationName).Append("_bucket");
                AppendLabels(text, labels, code: null, le);
                text.Append(' ').Append(cumulative[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append(DurationName).Append("_sum");
            AppendLabels(text, labels, code: null, le: null);
            text.Append(' ').Append(Float(s.SumSeconds)).Append('\n');
            text.Append(DurationName).Append("_count");
            AppendLabels(text, labels, code: null, le: null);
            text.Append(' ').Append(cumulative[^1].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP ").Append(TotalName).Append(" [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, ")
            .Append("version, resource, scope, component, and HTTP response code.\n");
        text.Append("# TYPE ").Append(TotalName).Append(" counter\n");
        foreach (var (labels, s) in series)
        {
            foreach (var (code, count) in s.Codes())
            {
                text.Append(TotalName);
                AppendLabels(text, labels, code.ToString(CultureInfo.InvariantCulture), le: null);
                text.Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void AppendLabels(StringBuilder text, RequestLabels labels, string? code, string? le)
    {
        text.Append('{');
        if (code is not null)
        {
            Label(text, "code", code).Append(',');
        }

        Label(text, "component", "apiserver").Append(',');
        Label(text, "dry_run", labels.DryRun).Append(',');
        Label(text, "group", labels.Group).Append(',');
        Label(text, "resource", labels.Resource).Append(',');
        Label(text, "scope", labels.Scope).Append(',');
        Label(text, "subresource", labels.Subresource).Append(',');
        Label(text, "verb", labels.Verb).Append(',');
        Label(text, "version", labels.Version);
        if (le is not null)
        {
            text.Append(',');
            Label(text, "le", le);
        }

        text.Append('}');
    }

    /// <summary>A label pair with the exposition format's escaping of backslash, double quote and newline.</summary>
    private static StringBuilder Label(StringBuilder text, string name, string value) =>
        text.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');

    /// <summary>Go's strconv.FormatFloat(f, 'g', -1, 64) as expfmt writes sample values: shortest round trip, e-notation in lower case.</summary>
    private static string Float(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
