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
/// the v2 protobuf are built on first use, each v3 document on its first request (or by <see cref="PrewarmAsync"/>),
/// and all are cached as bytes; constructing this costs next to nothing, so it never delays /readyz.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly Dictionary<string, IReadOnlyList<ResourceDescriptor>> _byGroupVersion;
    private readonly Lazy<Dictionary<string, string>> _hashes;
    private readonly ConcurrentDictionary<string, Lazy<byte[]>> _v3 = new(StringComparer.Ordinal);
    private Lazy<ModelDocs> _docs;
    private readonly string _serverVersion;
    private readonly Lazy<byte[]> _v3Index;
    private readonly Lazy<byte[]> _v2;

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
        // Computed on first use: the first SHA-512 loads the crypto library, which must not delay startup.
        _hashes = new Lazy<Dictionary<string, string>>(() =>
        {
            var build = typeof(OpenApiDocuments).Assembly.ManifestModule.ModuleVersionId.ToString() + serverVersion;
            return _byGroupVersion.ToDictionary(
                p => p.Key,
                p => Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(build + p.Key + string.Join(",", p.Value.Select(r => r.Kind))))),
                StringComparer.Ordinal);
        });

        _v3Index = new Lazy<byte[]>(BuildIndex);
        _v2 = new Lazy<byte[]>(() => OpenApiV2Document.Build(resources, serverVersion));
    }

    /// <summary>
    /// The Content-Type to serve <see cref="V2"/> with: upstream's alternative spelling without '@', because kubectl
    /// 1.27 parses the response type with Go's mime package, which rejects the '@' form kubectl sends in Accept.
    /// </summary>
    public const string V2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>The protobuf body of /openapi/v2 (serve it with <see cref="V2ContentType"/>).</summary>
    public byte[] V2 => _v2.Value;

    /// <summary>The JSON body of /openapi/v3.</summary>
    public byte[] V3Index => _v3Index.Value;

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
        etag = "\"" + _hashes.Value[key] + "\"";
        return true;
    }

    /// <summary>
    /// Generates every document on the thread pool, so the first kubectl apply or explain does not pay for it. The
    /// server calls this once it is ready; everything is also generated on demand if it has not finished.
    /// </summary>
    public Task PrewarmAsync() => Task.Run(() =>
    {
        _ = V2;
        _ = V3Index;
        foreach (var key in _byGroupVersion.Keys)
        {
            TryGetV3(key, out _, out _);
        }

        // Every document is cached now, so the descriptions (thousands of strings, a few MB) are not needed again;
        // a fresh Lazy would reload them should that ever change.
        _docs = new Lazy<ModelDocs>(ModelDocs.Load);
    });

    private byte[] BuildIndex()
    {
        var index = new JsonObject();
        foreach (var key in _byGroupVersion.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            index[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={_hashes.Value[key]}" };
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["paths"] = index }.ToJsonString());
    }

    private byte[] Generate(string key, IReadOnlyList<ResourceDescriptor> resources)
    {
        var document = OpenApiV3Builder.Build(key, resources, _docs.Value, _serverVersion);
        return JsonSerializer.SerializeToUtf8Bytes(document, OpenApiJsonContext.Default.JsonObject);
    }
}
