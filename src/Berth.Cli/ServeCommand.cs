using System.CommandLine;
using System.Net;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.ApiServer.Diagnostics;
using Berth.Cli.Daemon;
using Berth.Controllers;
using Berth.Controllers.Simulation;
using Berth.Node.Metrics;
using Berth.Node.Runtime;
using Berth.Storage;
using Berth.Storage.Memory;
using Berth.Storage.Sqlite;

namespace Berth.Cli;

/// <summary>
/// <c>berth serve</c>: runs the API server (and, as they arrive, controllers and the node agent) in the
/// foreground until Ctrl+C or SIGTERM.
/// </summary>
internal static class ServeCommand
{
    private const string NodeName = "berth";

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: $BERTH_DATA_DIR, else ~/.berth)" };
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port to serve HTTPS on",
            DefaultValueFactory = _ => "127.0.0.1:6443",
        };
        var store = new Option<string>("--store") { Description = "Storage backend", DefaultValueFactory = _ => "sqlite" };
        store.AcceptOnlyFromAmong("sqlite", "memory");
        // Default: the sandbox (real processes) when this host can run it, else the simulated node, saying why.
        var runtime = new Option<string?>("--runtime")
        {
            Description = "Pod runtime: sandbox (real processes; needs root and bwrap) or simulated (default: sandbox when possible)",
        };
        runtime.AcceptOnlyFromAmong("sandbox", "simulated");
        var allowNonLoopback = new Option<bool>("--allow-non-loopback")
        {
            Description = "Allow --listen on an address other than loopback (exposes the API beyond this machine)",
        };

        var command = new Command("serve", "Run Berth (API server, controllers, node) in the foreground")
        {
            dataDir, listen, store, runtime, allowNonLoopback,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!IPEndPoint.TryParse(result.GetValue(listen)!, out var endpoint))
            {
                await Console.Error.WriteLineAsync($"berth serve: --listen {result.GetValue(listen)}: expected ADDRESS:PORT, e.g. 127.0.0.1:6443")
                    .ConfigureAwait(false);
                return 2;
            }

            var runtimeChoice = result.GetValue(runtime);
            if (runtimeChoice != "simulated")
            {
                var unavailable = await SandboxRuntime.UnavailableReasonAsync(cancellationToken).ConfigureAwait(false);
                if (unavailable is not null && runtimeChoice == "sandbox")
                {
                    await Console.Error.WriteLineAsync($"berth serve: --runtime sandbox: {unavailable}").ConfigureAwait(false);
                    return 1;
                }

                if (unavailable is not null)
                {
                    await Console.Error.WriteLineAsync(
                        $"berth: the sandbox runtime is not available ({unavailable}); pods run on the simulated node (--runtime simulated)")
                        .ConfigureAwait(false);
                }

                runtimeChoice = unavailable is null ? "sandbox" : "simulated";
            }

            StartupTrace.Mark("serve command");
            var dir = DataDirectory.Resolve(result.GetValue(dataDir));
            var storeKind = result.GetValue(store)!;
            ServeLease lease;
            try
            {
                // berth.pid: berth up/down/status find this process by it; a second serve on the data dir is refused.
                lease = ServeLease.Acquire(dir);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("berth serve: " + e.Message).ConfigureAwait(false);
                return 1;
            }

            using var leaseScope = lease;
            // kubectl top: the sandbox node's cgroup and /proc figures (attached to the runtime once it runs), or the
            // simulated node's. Either way metrics.k8s.io is in discovery from the first request.
            using var sandboxMetrics = runtimeChoice == "sandbox" ? new SandboxMetricsSource(NodeName, TimeProvider.System) : null;
            BerthServer server;
            try
            {
                server = await BerthServer.StartAsync(new BerthServerOptions
                {
                    DataDir = dir,
                    Listen = endpoint,
                    AllowNonLoopback = result.GetValue(allowNonLoopback),
                    OpenStore = ct => OpenStore(storeKind, dir, ct),
                    GarbageCollectorEnabled = true,
                    MetricsSource = sandboxMetrics ?? (Core.Metrics.IMetricsSource)new SimulatedMetricsSource(NodeName, TimeProvider.System),
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or StoreException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("berth serve: " + e.Message).ConfigureAwait(false);
                return 1;
            }

            await using (server.ConfigureAwait(false))
            {
                var sandbox = runtimeChoice == "sandbox";
                var controllers = new ControllerManager(InProcessApiClient.For(server), TimeProvider.System,
                    new ControllerManagerOptions
                    {
                        DataDir = dir,
                        NodeName = NodeName,
                        SimulatedNode = !sandbox,
                        // Simulated containers take as long to stop as a small real process does. With an instant
                        // stop, a StatefulSet re-creates the pod between kubectl delete's GET and its LIST, and
                        // kubectl (which waits for the DELETED event of the old UID) never sees one.
                        Simulation = new() { TerminationDelay = TimeSpan.FromMilliseconds(250) },
                    });
                SandboxNode? node = null;
                try
                {
                    await controllers.StartAsync(cancellationToken).ConfigureAwait(false);
                    if (sandbox)
                    {
                        node = await SandboxNode.StartAsync(server, dir, cancellationToken,
                            log: line => Console.Error.WriteLine("berth: " + line), metrics: sandboxMetrics).ConfigureAwait(false);
                    }

                    StartupTrace.Mark("controllers synced");
                    // Startup allocates far more than the server keeps (OpenAPI generation, the informers' first lists,
                    // one-time caches) and the GC keeps those pages committed as its next gen0 budget, which it sizes
                    // from the L3 cache (tens of MB). One full, compacting, decommitting collection once startup has
                    // settled hands them back; after that the heap grows only with what requests need.
                    _ = server.Settled.ContinueWith(_ =>
                    {
                        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                        StartupTrace.Mark("settled");
                    }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

                    await Console.Error.WriteLineAsync(
                        $"berth: serving {server.Url} (store {storeKind}, runtime {runtimeChoice}); kubeconfig: {server.KubeconfigPath}")
                        .ConfigureAwait(false);
                    await Console.Error.WriteLineAsync($"berth: export KUBECONFIG={server.KubeconfigPath}").ConfigureAwait(false);
                    try
                    {
                        await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
                catch (Exception e) when (e is IOException or InvalidOperationException)
                {
                    await Console.Error.WriteLineAsync("berth serve: " + e.Message).ConfigureAwait(false);
                    return 1;
                }
                finally
                {
                    // Controllers first (nothing new is created), then every pod stops, then the pod network goes.
                    await controllers.DisposeAsync().ConfigureAwait(false);
                    if (node is not null)
                    {
                        await node.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            return 0;
        });
        return command;
    }

    private static async ValueTask<IStore> OpenStore(string kind, string dataDir, CancellationToken cancellationToken) => kind switch
    {
        "memory" => new MemoryStore(),
        _ => await SqliteStore.OpenAsync(new SqliteStoreOptions { DataDir = dataDir }, cancellationToken).ConfigureAwait(false),
    };
}
