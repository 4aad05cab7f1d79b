using System.Net;
using Berth.Core.Streaming;
using Berth.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.ApiServer;

/// <summary>How to start a <see cref="BerthServer"/>: the composition seam for the CLI, tests and benchmarks.</summary>
public sealed class BerthServerOptions
{
    /// <summary>Where the CA, serving certificate, token and kubeconfig live.</summary>
    public required string DataDir { get; init; }

    /// <summary>Address and port to listen on; port 0 picks a free one (see <see cref="BerthServer.Url"/>).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 6443);

    /// <summary>Listening on anything but loopback must be asked for explicitly.</summary>
    public bool AllowNonLoopback { get; init; }

    /// <summary>Opens the store; the server disposes it on stop.</summary>
    public required Func<CancellationToken, ValueTask<IStore>> OpenStore { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Set when a garbage collector runs: Orphan and Foreground deletes then park objects behind the orphan and
    /// foregroundDeletion finalizers as upstream does. Without one, they delete at once.
    /// </summary>
    public bool GarbageCollectorEnabled { get; init; }

    /// <summary>
    /// The pod streaming backend to start with (tests); the node agent normally sets <see cref="BerthServer.PodStreaming"/>
    /// once it runs. Null answers 503 until then.
    /// </summary>
    public IPodStreamingBackend? PodStreaming { get; init; }

    /// <summary>
    /// Serves metrics.k8s.io/v1beta1 (kubectl top) from this source's figures; null leaves the group out of
    /// discovery, so kubectl says "Metrics API not available" as it does on a cluster without metrics-server.
    /// </summary>
    public Berth.Core.Metrics.IMetricsSource? MetricsSource { get; init; }

    /// <summary>Extra services, for example hosted controllers, registered beside the API server.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>The IPv4 range Service cluster IPs are allocated from (upstream --service-cluster-ip-range).</summary>
    public string ServiceCidr { get; init; } = "10.96.0.0/16";

    /// <summary>Write DATA/kubeconfig once ready (tests and benchmarks may turn it off).</summary>
    public bool WriteKubeconfig { get; init; } = true;
}
