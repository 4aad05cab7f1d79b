using System.Net;
using Berth.ApiServer.Diagnostics;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Http;
using Berth.ApiServer.Metrics;
using Berth.ApiServer.OpenApi;
using Berth.ApiServer.Registry;
using Berth.ApiServer.Serving;
using Berth.ApiServer.Streaming;
using Berth.Core.Streaming;
using Berth.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer;

/// <summary>
/// A running API server: Kestrel over TLS (HTTP/1.1 and HTTP/2) in front of the registry and the store.
/// <see cref="StartAsync"/> returns once /readyz answers 200 and DATA/kubeconfig is written.
/// </summary>
public sealed class BerthServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IStore _store;
    private readonly PodStreamingSlot _podStreaming;
    private int _stopped;

    private BerthServer(WebApplication app, IStore store, ObjectRegistry registry, PodStreamingSlot podStreaming, Uri url, string kubeconfigPath,
        string token, string caPem, Task settled)
    {
        Settled = settled;
        _app = app;
        _store = store;
        _podStreaming = podStreaming;
        Registry = registry;
        Url = url;
        KubeconfigPath = kubeconfigPath;
        Token = token;
        CaPem = caPem;
    }

    /// <summary>https://127.0.0.1:PORT, with the port actually bound.</summary>
    public Uri Url { get; }

    public string KubeconfigPath { get; }

    public string Token { get; }

    /// <summary>The CA that signed the serving certificate (PEM).</summary>
    public string CaPem { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Completes when the work started after readiness (generating the OpenAPI documents) has finished: the moment
    /// the composition root can hand startup's garbage back to the OS.
    /// </summary>
    public Task Settled { get; }

    internal ObjectRegistry Registry { get; }

    /// <summary>The range Service cluster IPs come from (the node's service proxy routes it).</summary>
    public string ServiceCidr => Registry.ClusterIps.Cidr;

    /// <summary>
    /// Serves pods/log, exec, attach and portforward (the node agent sets it once it runs; it may be replaced or
    /// cleared at any time). While null, those subresources answer 503 "the node agent is not running".
    /// </summary>
    public IPodStreamingBackend? PodStreaming
    {
        get => _podStreaming.Backend;
        set => _podStreaming.Backend = value;
    }

    public static async Task<BerthServer> StartAsync(BerthServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.IsLoopback(options.Listen.Address) && !options.AllowNonLoopback)
        {
            throw new InvalidOperationException(
                $"refusing to listen on {options.Listen}: it is not a loopback address (pass --allow-non-loopback to do it anyway)");
        }

        StartupTrace.Mark("server start");
        var dataDir = Path.GetFullPath(options.DataDir);
        // The three slow, independent parts of startup run side by side (measured with BERTH_STARTUP_TRACE=1: each
        // is mostly one-time type loading and JIT): the TLS material (generated on first start), the store (opened
        // and its system namespaces ensured) and the web host. On two idle cores this takes about a third off the
        // time to /readyz; on a busy machine it costs nothing.
        var credentialsTask = Task.Run(() => ServingCredentials.LoadOrCreate(dataDir, options.TimeProvider), cancellationToken);
        var storeTask = Task.Run(async () => await options.OpenStore(cancellationToken).ConfigureAwait(false), cancellationToken);
        var registryTask = Task.Run(async () =>
        {
            var store = await storeTask.ConfigureAwait(false);
            var registry = new ObjectRegistry(store, options.TimeProvider, options.GarbageCollectorEnabled, options.ServiceCidr);
            await registry.EnsureSystemNamespacesAsync(cancellationToken).ConfigureAwait(false);
            StartupTrace.Mark("store open, system namespaces");
            return registry;
        }, cancellationToken);

        IStore? openedStore = null;
        try
        {
            // Berth has no appsettings files to reload: without this, the host watches its content root (the current
            // directory, recursively) for them, which on a large working directory costs startup time and inotify watches.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            ServingCredentials? credentials = null;
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                // Bodies are read and limited (3 MiB, 413 with a Status) by the handler itself.
                kestrel.Limits.MaxRequestBodySize = null;
                kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
                // Long watches over HTTP/2 stay healthy through idle middleboxes.
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
                kestrel.Listen(options.Listen, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    // Kestrel reads its options while the host is built, after the credentials were awaited.
                    listen.UseHttps(credentials!.ServingCertificate);
                });
            });
            builder.Services.AddSingleton(options.TimeProvider);
            builder.Services.AddSingleton<IStore>(_ => openedStore!);
            options.ConfigureServices?.Invoke(builder.Services);

            credentials = await credentialsTask.ConfigureAwait(false);
            var app = builder.Build();
            // exec and attach from kubectl 1.30+ (v5.channel.k8s.io) and port-forward tunnelling SPDY arrive as WebSockets.
            app.UseWebSockets();
            StartupTrace.Mark("host built");
            openedStore = await storeTask.ConfigureAwait(false);
            var registry = await registryTask.ConfigureAwait(false);
            var podStreaming = new PodStreamingSlot { Backend = options.PodStreaming };
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Berth.ApiServer");
            var metrics = options.MetricsSource is { } source ? new MetricsApi(registry, source) : null;
            // Discovery and OpenAPI documents are rendered after readiness (below) or on first request, whichever comes
            // first: nothing kubectl needs waits on them, and /readyz does not either.
            var discovery = new Lazy<DiscoveryDocuments>(() => new DiscoveryDocuments(metrics is null ? null : MetricsApi.Resources));
            var openApi = new OpenApiDocuments(Core.ResourceCatalog.All, ApiHandler.OpenApiVersion);
            var handler = new ApiHandler(credentials.Token, discovery, openApi,
                new ResourceEndpoints(registry, new PodStreamingEndpoints(registry, podStreaming, logger)), logger, metrics);
            app.Run(handler.HandleAsync);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            StartupTrace.Mark("kestrel listening");

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var port = new Uri(address).Port;
            var host = options.Listen.Address.Equals(IPAddress.Any) || options.Listen.Address.Equals(IPAddress.Loopback)
                ? "127.0.0.1"
                : options.Listen.Address.Equals(IPAddress.IPv6Any) || options.Listen.Address.Equals(IPAddress.IPv6Loopback)
                    ? "[::1]"
                    : options.Listen.Address.ToString();
            var url = new Uri($"https://{host}:{port}");

            handler.MarkReady();
            StartupTrace.Mark("ready");
            var kubeconfig = Path.Combine(dataDir, "kubeconfig");
            if (options.WriteKubeconfig)
            {
                // Written only now that /readyz answers 200: its presence tells scripts the API is usable.
                KubeconfigFile.Write(kubeconfig, url.ToString().TrimEnd('/'), credentials.CaPem, credentials.Token);
            }

            // Render discovery, then generate the OpenAPI documents, in the background once ready, so kubectl's first
            // commands do not wait for them.
            var settled = Task.Run(async () =>
            {
                _ = discovery.Value;
                await openApi.PrewarmAsync().ConfigureAwait(false);
                StartupTrace.Mark("discovery and OpenAPI rendered");
            }, CancellationToken.None);
            return new BerthServer(app, openedStore, registry, podStreaming, url, kubeconfig, credentials.Token, credentials.CaPem, settled);
        }
        catch
        {
            // Whatever got opened is closed; the tasks still running are awaited first so nothing leaks.
            try
            {
                await Task.WhenAll(credentialsTask, storeTask, registryTask).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The first failure is the one rethrown below.
            }

            if (storeTask.IsCompletedSuccessfully)
            {
                await storeTask.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Blocks until the host shuts down (Ctrl+C / SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
