using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI documents kubectl reads: <see cref="V2"/> for /openapi/v2, <see cref="V3Index"/> for /openapi/v3 and
/// <see cref="TryGetV3"/> for /openapi/v3/&lt;group-version&gt;. Built from the resource catalog. The index and
/// the v2 protobuf are cheap and built eagerly; each v3 document is generated on first request and cached as bytes.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly Dictionary<string, IReadOnlyList<ResourceDescriptor>> _byGroupVersion;
    private readonly Dictionary<string, string> _hashes;
    private readonly ConcurrentDictionary<string, Lazy<byte[]>> _v3 = new(StringComparer.Ordinal);
    private readonly Lazy<ModelDocs> _docs;
    private readonly string _serverVersion;

    public OpenApiDocuments(IReadOnlyList<ResourceDescriptor> resources, string serverVersion = "v1.33.0")
    {
        _serverVersion = serverVersion;
        _docs = new Lazy<ModelDocs>(ModelDocs.Load);
        _byGroupVersion = resources
            .GroupBy(r => r.Group.Length == 0 ? "api/v1" : $"apis/{r.Group}/{r.Version}", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ResourceDescriptor>)g.ToList(), StringComparer.Ordinal);

        // The hash only has to change when a document's content can: it covers this build of Berth (the module
        // version id changes with every compile) and the resources in the group-version. Hashing the documents
        // themselves would force generating all of them at startup.
        var build = typeof(OpenApiDocuments).Assembly.ManifestModule.ModuleVersionId.ToString() + serverVersion;
        _hashes = _byGroupVersion.ToDictionary(
            p => p.Key,
            p => Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(build + p.Key + string.Join(",", p.Value.Select(r => r.Kind))))),
            StringComparer.Ordinal);

        var index = new JsonObject();
        foreach (var key in _byGroupVersion.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            index[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={_hashes[key]}" };
        }

        V3Index = Encoding.UTF8.GetBytes(new JsonObject { ["paths"] = index }.ToJsonString());
        V2 = OpenApiV2Document.Build(resources, serverVersion);
    }

    /// <summary>
    /// The Content-Type to serve <see cref="V2"/> with: upstream's alternative spelling without '@', because kubectl
    /// 1.27 parses the response type with Go's mime package, which rejects the '@' form kubectl sends in Accept.
    /// </summary>
    public const string V2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>The protobuf body of /openapi/v2 (serve it with <see cref="V2ContentType"/>).</summary>
    public byte[] V2 { get; }

    /// <summary>The JSON body of /openapi/v3.</summary>
    public byte[] V3Index { get; }

    /// <summary>The group-version keys of the index ("api/v1", "apis/apps/v1", ...).</summary>
    public IEnumerable<string> GroupVersions => _byGroupVersion.Keys;

    /// <summary>
    /// The document for "api/v1" or "apis/apps/v1" (a leading "/" or "/openapi/v3/" is ignored), with its ETag
    /// (quoted, as upstream sends it; kubectl revalidates with If-None-Match).
    /// </summary>
    public bool TryGetV3(string groupVersionPath, out byte[] json, out string etag)
    {
        var key = groupVersionPath.Trim('/');
        if (key.StartsWith("openapi/v3/", StringComparison.Ordinal))
        {
            key = key["openapi/v3/".Length..];
        }

        if (!_byGroupVersion.TryGetValue(key, out var resources))
        {
            json = [];
            etag = "";
            return false;
        }

        json = _v3.GetOrAdd(key, k => new Lazy<byte[]>(() => Generate(k, resources))).Value;
        etag = "\"" + _hashes[key] + "\"";
        return true;
    }

    private byte[] Generate(string key, IReadOnlyList<ResourceDescriptor> resources)
    {
        var document = OpenApiV3Builder.Build(key, resources, _docs.Value, _serverVersion);
        return JsonSerializer.SerializeToUtf8Bytes(document, OpenApiJsonContext.Default.JsonObject);
    }
}
