using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.Node.Agent;
using Berth.Node.Dns;
using Berth.Node.Metrics;
using Berth.Node.Runtime;

namespace Berth.Cli;

/// <summary>
/// The real node beside an API server: the sandbox runtime under DATA/node (pods cannot see the data dir: it holds
/// the token, the CA key and other pods' volumes), cluster DNS and the service proxy in the pod network's hub
/// namespace, and the node agent, plugged in as the server's pods/log (and exec, attach, portforward) backend, and
/// the runtime's figures for kubectl top when the server was given a <see cref="SandboxMetricsSource"/>.
/// `berth serve`, the E2E tests and the pod benchmark compose it the same way.
/// </summary>
internal sealed class SandboxNode : IAsyncDisposable
{
    private readonly BerthServer _server;
    private readonly SandboxMetricsSource? _metrics;

    private SandboxNode(BerthServer server, SandboxRuntime runtime, ClusterNetworking networking, NodeAgent agent, SandboxMetricsSource? metrics)
    {
        _server = server;
        _metrics = metrics;
        Runtime = runtime;
        Networking = networking;
        Agent = agent;
    }

    public SandboxRuntime Runtime { get; }

    /// <summary>Cluster DNS and the service proxy (started before the agent, so the first pods already resolve names).</summary>
    public ClusterNetworking Networking { get; }

    public NodeAgent Agent { get; }

    public static async Task<SandboxNode> StartAsync(BerthServer server, string dataDir, CancellationToken cancellationToken,
        string? podCidr = null, Action<string>? log = null, SandboxMetricsSource? metrics = null)
    {
        var data = Path.GetFullPath(dataDir);
        var nodeDir = Path.Combine(data, "node");
        var options = new SandboxRuntimeOptions { StateDirectory = nodeDir, HiddenPaths = [data] };
        var runtime = await SandboxRuntime.CreateAsync(podCidr is null ? options : options with { PodCidr = podCidr }, cancellationToken)
            .ConfigureAwait(false);
        ClusterNetworking networking;
        try
        {
            // BERTH_DNS_FORWARD: "none" (tests: never query a real resolver) or ADDRESS:PORT; unset uses /etc/resolv.conf.
            networking = await ClusterNetworking.StartAsync(InProcessApiClient.For(server, "kube-proxy"), runtime, server.ServiceCidr,
                options.ClusterDomain, Environment.GetEnvironmentVariable("BERTH_DNS_FORWARD"), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var agent = new NodeAgent(InProcessApiClient.For(server, "kubelet"), runtime, new NodeAgentOptions
        {
            VolumeDirectory = Path.Combine(nodeDir, "volumes"),
            DataDir = data,
            Log = log,
        });
        try
        {
            await agent.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            await networking.DisposeAsync().ConfigureAwait(false);
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        server.PodStreaming = agent;
        metrics?.Attach(runtime);
        return new SandboxNode(server, runtime, networking, agent, metrics);
    }

    /// <summary>Stops every pod, then DNS and the proxy's rules, then removes the pod network; what is left of the node is nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (ReferenceEquals(_server.PodStreaming, Agent))
        {
            _server.PodStreaming = null;
        }

        _metrics?.Detach();
        await Agent.DisposeAsync().ConfigureAwait(false);
        await Networking.DisposeAsync().ConfigureAwait(false);
        await Runtime.DisposeAsync().ConfigureAwait(false);
    }
}
