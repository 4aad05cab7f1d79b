using System.Text.Json;
using Berth.Core;

namespace Berth.ApiServer.Discovery;

/// <summary>
/// Every discovery document, rendered once from <see cref="ResourceCatalog"/>: aggregated discovery
/// (apidiscovery.k8s.io v2 and v2beta1, same shape) for /api and /apis, and the legacy APIVersions,
/// APIGroupList, APIGroup and APIResourceList documents kubectl falls back to (and drain always reads).
/// </summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedV2ContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedV2Beta1ContentType = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    private readonly Dictionary<string, byte[]> _resourceLists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _groups = new(StringComparer.Ordinal);

    /// <param name="served">Resources served beside the catalog without being stored (metrics.k8s.io when a metrics
    /// source is configured, as an aggregated API appears once metrics-server is installed).</param>
    public DiscoveryDocuments(IEnumerable<ResourceDescriptor>? served = null)
    {
        var groups = ResourceCatalog.All.Concat(served ?? []).GroupBy(r => r.Group).ToList();
        CoreV2 = Aggregated("v2", groups.Where(g => g.Key.Length == 0));
        CoreV2Beta1 = Aggregated("v2beta1", groups.Where(g => g.Key.Length == 0));
        GroupsV2 = Aggregated("v2", groups.Where(g => g.Key.Length > 0));
        GroupsV2Beta1 = Aggregated("v2beta1", groups.Where(g => g.Key.Length > 0));
        GroupList = Render(w =>
        {
            w.WriteString("kind", "APIGroupList");
            w.WriteString("apiVersion", "v1");
            w.WriteStartArray("groups");
            foreach (var g in groups.Where(g => g.Key.Length > 0))
            {
                w.WriteStartObject();
                WriteGroup(w, g.Key, g.First().Version);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        foreach (var g in groups)
        {
            foreach (var version in g.GroupBy(r => r.Version))
            {
                var groupVersion = g.Key.Length == 0 ? version.Key : g.Key + "/" + version.Key;
                _resourceLists[groupVersion] = ResourceList(groupVersion, version);
            }

            if (g.Key.Length > 0)
            {
                _groups[g.Key] = Render(w =>
                {
                    w.WriteString("kind", "APIGroup");
                    w.WriteString("apiVersion", "v1");
                    WriteGroup(w, g.Key, g.First().Version);
                });
            }
        }
    }

    public byte[] CoreV2 { get; }

    public byte[] CoreV2Beta1 { get; }

    public byte[] GroupsV2 { get; }

    public byte[] GroupsV2Beta1 { get; }

    public byte[] GroupList { get; }

    /// <summary>The APIResourceList for "v1" or "apps/v1", or null.</summary>
    public byte[]? ResourceList(string groupVersion) => _resourceLists.GetValueOrDefault(groupVersion);

    /// <summary>The APIGroup document for /apis/&lt;group&gt;, or null.</summary>
    public byte[]? Group(string group) => _groups.GetValueOrDefault(group);

    /// <summary>/api's APIVersions; the server address is the one the client used.</summary>
    public static byte[] ApiVersions(string serverAddress) => Render(w =>
    {
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    /// <summary>
    /// Picks the aggregated flavour the Accept header asks for first (kubectl decides by our Content-Type), or
    /// null for the legacy documents.
    /// </summary>
    public static string? NegotiateAggregated(string? accept)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return null;
        }

        foreach (var range in accept.Split(','))
        {
            if (!range.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal)
                || !range.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal))
            {
                continue;
            }

            var parameters = range.Split(';').Select(p => p.Trim()).ToList();
            if (parameters.Contains("v=v2"))
            {
                return AggregatedV2ContentType;
            }

            if (parameters.Contains("v=v2beta1"))
            {
                return AggregatedV2Beta1ContentType;
            }
        }

        return null;
    }

    private static byte[] Aggregated(string version, IEnumerable<IGrouping<string, ResourceDescriptor>> groups) => Render(w =>
    {
        w.WriteString("kind", "APIGroupDiscoveryList");
        w.WriteString("apiVersion", "apidiscovery.k8s.io/" + version);
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var g in groups)
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteString("name", g.Key);
            w.WriteEndObject();
            w.WriteStartArray("versions");
            foreach (var v in g.GroupBy(r => r.Version))
            {
                w.WriteStartObject();
                w.WriteString("version", v.Key);
                w.WriteStartArray("resources");
                foreach (var r in v)
                {
                    w.WriteStartObject();
                    w.WriteString("resource", r.Plural);
                    WriteKind(w, "responseKind", r.Group, r.Version, r.Kind);
                    w.WriteString("scope", r.Namespaced ? "Namespaced" : "Cluster");
                    w.WriteString("singularResource", r.Singular);
                    WriteStrings(w, "verbs", r.Verbs);
                    if (r.ShortNames.Count > 0)
                    {
                        WriteStrings(w, "shortNames", r.ShortNames);
                    }

                    if (r.Categories.Count > 0)
                    {
                        WriteStrings(w, "categories", r.Categories);
                    }

                    if (r.Subresources.Count > 0)
                    {
                        w.WriteStartArray("subresources");
                        foreach (var s in r.Subresources)
                        {
                            w.WriteStartObject();
                            w.WriteString("subresource", s.Name);
                            WriteKind(w, "responseKind", s.Group, s.Version, s.Kind);
                            WriteStrings(w, "verbs", s.Verbs);
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("freshness", "Current");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static byte[] ResourceList(string groupVersion, IEnumerable<ResourceDescriptor> resources) => Render(w =>
    {
        w.WriteString("kind", "APIResourceList");
        w.WriteString("apiVersion", "v1");
        w.WriteString("groupVersion", groupVersion);
        w.WriteStartArray("resources");
        foreach (var r in resources)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Plural);
            w.WriteString("singularName", r.Singular);
            w.WriteBoolean("namespaced", r.Namespaced);
            w.WriteString("kind", r.Kind);
            WriteStrings(w, "verbs", r.Verbs);
            if (r.ShortNames.Count > 0)
            {
                WriteStrings(w, "shortNames", r.ShortNames);
            }

            if (r.Categories.Count > 0)
            {
                WriteStrings(w, "categories", r.Categories);
            }

            w.WriteEndObject();
            foreach (var s in r.Subresources)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Plural + "/" + s.Name);
                w.WriteString("singularName", "");
                w.WriteBoolean("namespaced", r.Namespaced);
                // drain finds the Eviction API through these (pods/eviction → policy/v1 Eviction).
                if (s.Group != r.Group || s.Version != r.Version)
                {
                    w.WriteString("group", s.Group);
                    w.WriteString("version", s.Version);
                }

                w.WriteString("kind", s.Kind);
                WriteStrings(w, "verbs", s.Verbs);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    });

    private static void WriteGroup(Utf8JsonWriter w, string group, string version)
    {
        w.WriteString("name", group);
        w.WriteStartArray("versions");
        w.WriteStartObject();
        w.WriteString("groupVersion", group + "/" + version);
        w.WriteString("version", version);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("preferredVersion");
        w.WriteString("groupVersion", group + "/" + version);
        w.WriteString("version", version);
        w.WriteEndObject();
    }

    private static void WriteKind(Utf8JsonWriter w, string name, string group, string version, string kind)
    {
        w.WriteStartObject(name);
        w.WriteString("group", group);
        w.WriteString("version", version);
        w.WriteString("kind", kind);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
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
