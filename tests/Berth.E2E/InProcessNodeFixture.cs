using System.Net;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.Cli;
using Berth.Controllers;
using Berth.Controllers.Client;
using Berth.Storage.Memory;
using k8s.Models;

namespace Berth.E2E;

/// <summary>
/// The API server, the controllers and the sandbox node in this test process (as `berth serve` composes them), so
/// tests can call the node agent's streaming backend directly. Needs root.
/// </summary>
public sealed class InProcessNodeFixture : IAsyncLifetime
{
    private BerthServer? _server;
    private ControllerManager? _controllers;
    private SandboxNode? _node;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("berth-agent-").FullName;

    internal BerthServer Server => _server ?? throw new InvalidOperationException("not started");

    internal SandboxNode Node => _node ?? throw new InvalidOperationException("not started");

    internal IApiClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (!SandboxServerFixture.IsRoot)
        {
            return;
        }

        _server = await BerthServer.StartAsync(new BerthServerOptions
        {
            DataDir = DataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            OpenStore = _ => ValueTask.FromResult<Storage.IStore>(new MemoryStore()),
            GarbageCollectorEnabled = true,
        });
        Client = InProcessApiClient.For(_server);
        _controllers = new ControllerManager(Client, TimeProvider.System, new ControllerManagerOptions { DataDir = DataDir, SimulatedNode = false });
        await _controllers.StartAsync();
        // Cluster DNS must not forward test pods' lookups to the machine's real resolvers.
        Environment.SetEnvironmentVariable("BERTH_DNS_FORWARD", "none");
        _node = await SandboxNode.StartAsync(_server, DataDir, CancellationToken.None, podCidr: "10.91.0.0/16");
        await Client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "agent" } });
    }

    /// <summary>Creates a pod in namespace "agent" and waits until it is Running (or the predicate on its status holds).</summary>
    internal async Task<V1Pod> RunPodAsync(V1Pod pod, Func<V1Pod, bool>? until = null, int seconds = 60)
    {
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        pod.Metadata.NamespaceProperty = "agent";
        await Client.CreateAsync(pod);
        return await WaitPodAsync(pod.Metadata.Name, until ?? (p => p.Status?.Phase == "Running"), seconds);
    }

    internal async Task<V1Pod> WaitPodAsync(string name, Func<V1Pod, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        V1Pod? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.GetAsync<V1Pod>("agent", name);
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"pod {name} never got there; last status: {Serialization.BerthJson.SerializeToUtf8Bytes(last?.Status).Length} bytes, phase {last?.Status?.Phase}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(DataDir, recursive: true);
    }
}
