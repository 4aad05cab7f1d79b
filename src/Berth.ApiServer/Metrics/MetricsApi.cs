using System.Globalization;
using System.Text.Json;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Core.Metrics;
using Berth.Core.Selectors;
using Berth.Serialization;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 as metrics-server serves it (what <c>kubectl top pods|nodes</c> reads): PodMetrics and
/// NodeMetrics, get and list (label and field selectors), computed per request from the objects in the registry
/// and the figures of an <see cref="IMetricsSource"/>. Nothing is stored; watch and writes are refused.
/// </summary>
internal sealed class MetricsApi
{
    public const string Group = "metrics.k8s.io";
    public const string Version = "v1beta1";
    public const string PathPrefix = "/apis/" + Group + "/" + Version + "/";

    private static readonly IReadOnlyList<string> ReadVerbs = ["get", "list"];

    private readonly ObjectRegistry _registry;
    private readonly IMetricsSource _source;

    public MetricsApi(ObjectRegistry registry, IMetricsSource source)
    {
        _registry = registry;
        _source = source;
    }

    /// <summary>The two resources, for discovery (they are served, never stored).</summary>
    public static IReadOnlyList<ResourceDescriptor> Resources { get; } =
    [
        new(Group, Version, "NodeMetrics", "nodes", "", false, typeof(object), [], [], []) { Verbs = ReadVerbs },
        new(Group, Version, "PodMetrics", "pods", "", true, typeof(object), [], [], []) { Verbs = ReadVerbs },
    ];

    private static ResourceDescriptor PodMetrics => Resources[1];

    public async Task HandleAsync(HttpContext context, string path)
    {
        var parts = path[PathPrefix.Length..].Trim('/').Split('/');
        (ResourceDescriptor Resource, string? Namespace, string? Name) target = parts switch
        {
            ["pods"] => (PodMetrics, null, null),
            ["namespaces", var ns, "pods"] => (PodMetrics, ns, null),
            ["namespaces", var ns, "pods", var name] => (PodMetrics, ns, name),
            ["nodes"] => (Resources[0], null, null),
            ["nodes", var name] => (Resources[0], null, name),
            _ => throw Errors.NoHandler(),
        };

        var query = context.Request.Query;
        if (context.Request.Method is not ("GET" or "HEAD") || query["watch"] is ["true" or "1"])
        {
            var verb = context.Request.Method is "GET" or "HEAD" ? "watch" : context.Request.Method.ToLowerInvariant();
            throw Errors.MethodNotSupported(target.Resource, verb);
        }

        LabelSelector labels;
        FieldSelector fields;
        try
        {
            labels = LabelSelector.Parse(query["labelSelector"].ToString());
            fields = FieldSelector.Parse(query["fieldSelector"].ToString());
        }
        catch (SelectorParseException e)
        {
            throw Errors.BadRequest(e.Message);
        }

        var now = _registry.Time.GetUtcNow();
        var ct = context.RequestAborted;
        byte[] body;
        if (target.Resource == PodMetrics)
        {
            var pods = await ObjectsAsync<V1Pod>("pods", target.Namespace, target.Name, labels, fields, ct).ConfigureAwait(false);
            var items = new List<(V1Pod Pod, PodUsage Usage)>();
            foreach (var pod in pods)
            {
                if (await _source.GetPodUsageAsync(pod, ct).ConfigureAwait(false) is { } usage)
                {
                    items.Add((pod, usage));
                }
            }

            if (target.Name is not null && items.Count == 0)
            {
                throw PodNotFound(target.Namespace!, target.Name);
            }

            body = Render(w =>
            {
                if (target.Name is not null)
                {
                    WritePod(w, items[0].Pod, items[0].Usage, now, typeMeta: true);
                    return;
                }

                WriteList(w, "PodMetricsList", () =>
                {
                    foreach (var (pod, usage) in items)
                    {
                        w.WriteStartObject();
                        WritePod(w, pod, usage, now, typeMeta: false);
                        w.WriteEndObject();
                    }
                });
            });
        }
        else
        {
            var nodes = await ObjectsAsync<V1Node>("nodes", null, target.Name, labels, fields, ct).ConfigureAwait(false);
            var items = new List<(V1Node Node, NodeUsage Usage)>();
            foreach (var node in nodes)
            {
                if (await _source.GetNodeUsageAsync(node, ct).ConfigureAwait(false) is { } usage)
                {
                    items.Add((node, usage));
                }
            }

            if (target.Name is not null && items.Count == 0)
            {
                throw NodeNotFound(target.Name);
            }

            body = Render(w =>
            {
                if (target.Name is not null)
                {
                    WriteNode(w, items[0].Node, items[0].Usage, now, typeMeta: true);
                    return;
                }

                WriteList(w, "NodeMetricsList", () =>
                {
                    foreach (var (node, usage) in items)
                    {
                        w.WriteStartObject();
                        WriteNode(w, node, usage, now, typeMeta: false);
                        w.WriteEndObject();
                    }
                });
            });
        }

        await HttpResponses.WriteAsync(context, 200, body, MediaTypes.Json).ConfigureAwait(false);
    }

    /// <summary>The pods or nodes the request names or selects (metadata.name and metadata.namespace fields).</summary>
    private async Task<List<T>> ObjectsAsync<T>(string plural, string? ns, string? name, LabelSelector labels, FieldSelector fields,
        CancellationToken ct)
    {
        foreach (var field in fields.Fields)
        {
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw Errors.BadRequest($"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
            }
        }

        var resource = ResourceCatalog.Find("", "v1", plural)!;
        var result = new List<T>();
        if (name is not null)
        {
            try
            {
                var kv = await _registry.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
                result.Add(BerthJson.Deserialize<T>(kv.Value.Span)!);
            }
            catch (ApiException e) when (e.Status.Code == 404)
            {
                throw plural == "pods" ? PodNotFound(ns!, name) : NodeNotFound(name);
            }

            return result;
        }

        var list = await _registry.ListAsync(resource, ns, Storage.ListOptions.Default, ct).ConfigureAwait(false);
        foreach (var kv in list.Items)
        {
            var item = BerthJson.Deserialize<T>(kv.Value.Span)!;
            var meta = ((k8s.IKubernetesObject<V1ObjectMeta>)item!).Metadata;
            if (labels.Matches(meta.Labels) && fields.Matches(f => f switch
            {
                "metadata.name" => meta.Name,
                "metadata.namespace" => meta.NamespaceProperty ?? string.Empty,
                _ => null,
            }))
            {
                result.Add(item);
            }
        }

        return result;
    }

    // metrics-server's words: `podmetrics.metrics.k8s.io "default/web-0" not found`, `nodemetrics.metrics.k8s.io "x" not found`.
    private static ApiException PodNotFound(string ns, string name) => Errors.NotFound("podmetrics." + Group, Group, ns + "/" + name);

    private static ApiException NodeNotFound(string name) => Errors.NotFound("nodemetrics." + Group, Group, name);

    private static void WriteList(Utf8JsonWriter w, string kind, Action items)
    {
        w.WriteString("kind", kind);
        w.WriteString("apiVersion", Group + "/" + Version);
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteStartArray("items");
        items();
        w.WriteEndArray();
    }

    private static void WritePod(Utf8JsonWriter w, V1Pod pod, PodUsage usage, DateTimeOffset now, bool typeMeta)
    {
        if (typeMeta)
        {
            w.WriteString("kind", "PodMetrics");
            w.WriteString("apiVersion", Group + "/" + Version);
        }

        WriteMetadata(w, pod.Metadata, now);
        WriteSample(w, usage.Timestamp, usage.Window);
        w.WriteStartArray("containers");
        foreach (var container in usage.Containers)
        {
            w.WriteStartObject();
            w.WriteString("name", container.Name);
            WriteUsage(w, container.Usage);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteNode(Utf8JsonWriter w, V1Node node, NodeUsage usage, DateTimeOffset now, bool typeMeta)
    {
        if (typeMeta)
        {
            w.WriteString("kind", "NodeMetrics");
            w.WriteString("apiVersion", Group + "/" + Version);
        }

        WriteMetadata(w, node.Metadata, now);
        WriteSample(w, usage.Timestamp, usage.Window);
        WriteUsage(w, usage.Usage);
    }

    /// <summary>metrics-server's metadata: the object's name, namespace and labels, created now (the sample is new).</summary>
    private static void WriteMetadata(Utf8JsonWriter w, V1ObjectMeta meta, DateTimeOffset now)
    {
        w.WriteStartObject("metadata");
        w.WriteString("name", meta.Name);
        if (!string.IsNullOrEmpty(meta.NamespaceProperty))
        {
            w.WriteString("namespace", meta.NamespaceProperty);
        }

        w.WriteString("creationTimestamp", JsonMeta.Timestamp(now));
        if (meta.Labels is { Count: > 0 } labels)
        {
            w.WriteStartObject("labels");
            foreach (var (k, v) in labels)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteSample(Utf8JsonWriter w, DateTimeOffset timestamp, TimeSpan window)
    {
        w.WriteString("timestamp", JsonMeta.Timestamp(timestamp));
        w.WriteString("window", FormatWindow(window));
    }

    private static void WriteUsage(Utf8JsonWriter w, ResourceUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteString("cpu", FormatCpu(usage.CpuNanoCores));
        w.WriteString("memory", FormatMemory(usage.MemoryBytes));
        w.WriteEndObject();
    }

    /// <summary>metrics-server writes CPU in nanocores ("1234567n").</summary>
    internal static string FormatCpu(long nanoCores) => nanoCores.ToString(CultureInfo.InvariantCulture) + "n";

    /// <summary>Memory in Ki when it divides evenly (as metrics-server's quantities print), else in bytes.</summary>
    internal static string FormatMemory(long bytes) => bytes % 1024 == 0 && bytes != 0
        ? (bytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"
        : bytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>A Go duration string ("15s", "1m0s", "10.5s").</summary>
    internal static string FormatWindow(TimeSpan window)
    {
        var seconds = window.TotalSeconds;
        if (seconds < 60)
        {
            return seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        }

        var minutes = (long)(seconds / 60);
        return minutes.ToString(CultureInfo.InvariantCulture) + "m" + (seconds - (minutes * 60)).ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }

    private static byte[] Render(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
