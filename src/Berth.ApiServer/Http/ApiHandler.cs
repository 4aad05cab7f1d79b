using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Berth.ApiServer.Diagnostics;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Metrics;
using Berth.ApiServer.OpenApi;
using Berth.Core;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Http;

/// <summary>
/// The one terminal request handler: health and version (open), bearer-token authentication, discovery,
/// OpenAPI, /metrics, then resource paths. Every failure leaves as a metav1.Status; client input never yields a 500.
/// Authenticated requests for served resources are timed into <see cref="RequestMetrics"/>.
/// </summary>
internal sealed class ApiHandler
{
    public const string GitVersion = "v1.33.1-berth";

    public const string OpenApiVersion = "v1.33.1";

    private static readonly byte[] Ok = "ok"u8.ToArray();
    private static readonly byte[] VersionDocument = Encoding.UTF8.GetBytes(
        "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"" + GitVersion + "\",\"gitCommit\":\"0000000000000000000000000000000000000000\","
        + "\"gitTreeState\":\"clean\",\"buildDate\":\"2026-11-23T00:00:00Z\",\"goVersion\":\"go1.24.0\",\"compiler\":\"gc\","
        + "\"platform\":\"linux/amd64\"}");

    private readonly byte[] _expectedAuthorization;
    private readonly Lazy<DiscoveryDocuments> _discovery;
    private readonly OpenApiDocuments _openApi;
    private readonly ResourceEndpoints _resources;
    private readonly MetricsApi? _metrics;
    private readonly ILogger _logger;
    private readonly RequestMetrics _requestMetrics = new();
    private volatile bool _ready;

    public ApiHandler(string token, Lazy<DiscoveryDocuments> discovery, OpenApiDocuments openApi, ResourceEndpoints resources, ILogger logger,
        MetricsApi? metrics = null)
    {
        _metrics = metrics;
        _openApi = openApi;
        _expectedAuthorization = Encoding.UTF8.GetBytes("Bearer " + token);
        _discovery = discovery;
        _resources = resources;
        _logger = logger;
    }

    public void MarkReady() => _ready = true;

    public async Task HandleAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var path = context.Request.Path.Value ?? "/";
        var info = RequestInfo.Parse(path);
        try
        {
            await DispatchAsync(context, path, info).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteFailureAsync(context, e.Status).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (BadHttpRequestException e)
        {
            await WriteFailureAsync(context, Status.Failure(e.StatusCode, "BadRequest", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "internal error serving {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteFailureAsync(context, Status.Failure(500, "InternalError", "Internal error occurred: " + e.Message)).ConfigureAwait(false);
        }

        // upstream MonitorRequest runs after authentication, in the handler of a resource it serves: the duration
        // ends once the response's last byte is written (streamed responses flush before they return).
        if (info is not null && ResourceCatalog.Find(info.Group, info.Version, info.Resource) is { } served
            && (info.Subresource is null || served.Subresources.Any(s => s.Name == info.Subresource)) && IsAuthenticated(context))
        {
            _requestMetrics.Observe(RequestMetrics.Labels(context.Request, info), context.Response.StatusCode, Stopwatch.GetTimestamp() - start);
        }
    }

    private static async Task WriteFailureAsync(HttpContext context, Status status)
    {
        if (context.Response.HasStarted)
        {
            // A streaming response already sent its headers; all that is left is to end it.
            context.Abort();
            return;
        }

        context.Response.Clear();
        await HttpResponses.WriteStatusAsync(context, status).ConfigureAwait(false);
    }

    private Task DispatchAsync(HttpContext context, string path, RequestInfo? info)
    {
        switch (path)
        {
            case "/livez" or "/healthz" or "/livez/" or "/healthz/":
                return HttpResponses.WriteAsync(context, 200, Ok, "text/plain; charset=utf-8");
            case "/readyz" or "/readyz/":
                return _ready
                    ? HttpResponses.WriteAsync(context, 200, Ok, "text/plain; charset=utf-8")
                    : HttpResponses.WriteAsync(context, 503, "[-]berth-bootstrap failed: not finished\nreadyz check failed"u8.ToArray(), "text/plain; charset=utf-8");
            case "/version" or "/version/":
                return HttpResponses.WriteAsync(context, 200, VersionDocument, MediaTypes.Json);
            default:
                break;
        }

        Authenticate(context);
        var method = context.Request.Method;
        if (method is "GET" or "HEAD")
        {
            switch (path.TrimEnd('/'))
            {
                case "/api":
                    {
                        var aggregated = DiscoveryDocuments.NegotiateAggregated(context.Request.Headers.Accept);
                        context.Response.Headers.Vary = "Accept";
                        return aggregated switch
                        {
                            DiscoveryDocuments.AggregatedV2ContentType => HttpResponses.WriteAsync(context, 200, _discovery.Value.CoreV2, aggregated),
                            DiscoveryDocuments.AggregatedV2Beta1ContentType => HttpResponses.WriteAsync(context, 200, _discovery.Value.CoreV2Beta1, aggregated),
                            _ => HttpResponses.WriteAsync(context, 200, DiscoveryDocuments.ApiVersions(context.Request.Host.Value ?? "127.0.0.1"), MediaTypes.Json),
                        };
                    }

                case "/apis":
                    {
                        var aggregated = DiscoveryDocuments.NegotiateAggregated(context.Request.Headers.Accept);
                        context.Response.Headers.Vary = "Accept";
                        return aggregated switch
                        {
                            DiscoveryDocuments.AggregatedV2ContentType => HttpResponses.WriteAsync(context, 200, _discovery.Value.GroupsV2, aggregated),
                            DiscoveryDocuments.AggregatedV2Beta1ContentType => HttpResponses.WriteAsync(context, 200, _discovery.Value.GroupsV2Beta1, aggregated),
                            _ => HttpResponses.WriteAsync(context, 200, _discovery.Value.GroupList, MediaTypes.Json),
                        };
                    }

                case "/openapi/v2" or "/swagger-2.0.0.pb-v1":
                    // kubectl 1.27/1.28 need this 200 before any apply or explain (research: kubectl-protocol.md 3).
                    // Go's mime parser rejects the "@" in upstream's protobuf media type name, so octet-stream.
                    return HttpResponses.WriteAsync(context, 200, _openApi.V2, "application/octet-stream");
                case "/openapi/v3":
                    return HttpResponses.WriteAsync(context, 200, _openApi.V3Index, MediaTypes.Json);
                case "/metrics":
                    // As upstream: authenticated (kube-apiserver also authorizes the nonResourceURL; Berth's one
                    // token is the cluster admin's).
                    return HttpResponses.WriteAsync(context, 200, _requestMetrics.Render(), RequestMetrics.ContentType);
                default:
                    break;
            }

            if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
            {
                if (!_openApi.TryGetV3(path, out var document, out var etag))
                {
                    throw Errors.NoHandler();
                }

                context.Response.Headers.ETag = etag;
                if (context.Request.Headers.IfNoneMatch.ToString() == etag)
                {
                    context.Response.StatusCode = 304;
                    return Task.CompletedTask;
                }

                return HttpResponses.WriteAsync(context, 200, document, MediaTypes.Json);
            }

            var parts = path.Trim('/').Split('/');
            if (parts is ["api", var coreVersion] && _discovery.Value.ResourceList(coreVersion) is { } coreList)
            {
                return HttpResponses.WriteAsync(context, 200, coreList, MediaTypes.Json);
            }

            if (parts is ["apis", var group] && _discovery.Value.Group(group) is { } groupDocument)
            {
                return HttpResponses.WriteAsync(context, 200, groupDocument, MediaTypes.Json);
            }

            if (parts is ["apis", var g, var v] && _discovery.Value.ResourceList(g + "/" + v) is { } groupList)
            {
                return HttpResponses.WriteAsync(context, 200, groupList, MediaTypes.Json);
            }
        }

        if (_metrics is not null && path.StartsWith(MetricsApi.PathPrefix, StringComparison.Ordinal))
        {
            return _metrics.HandleAsync(context, path);
        }

        return _resources.HandleAsync(context, info ?? throw Errors.NoHandler());
    }

    private void Authenticate(HttpContext context)
    {
        if (!IsAuthenticated(context))
        {
            throw Errors.Unauthorized();
        }
    }

    private bool IsAuthenticated(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expectedAuthorization);
    }
}
