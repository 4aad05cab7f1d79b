using System.CommandLine;
using System.Net;
using Berth.ApiServer;
using Berth.ApiServer.Client;
using Berth.ApiServer.Diagnostics;
using Berth.Controllers;
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
        // The sandbox runtime (real processes) exists as a library but is not yet driven by a node agent inside
        // serve; until it is, simulated is the default and asking for sandbox is a clear error, not a silent swap.
        var runtime = new Option<string>("--runtime") { Description = "Pod runtime", DefaultValueFactory = _ => "simulated" };
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

            if (result.GetValue(runtime) == "sandbox")
            {
                await Console.Error.WriteLineAsync(
                    "berth serve: --runtime sandbox is not available in this build yet (the node agent is not wired into serve); "
                    + "use --runtime simulated").ConfigureAwait(false);
                return 2;
            }

            StartupTrace.Mark("serve command");
            var dir = DataDirectory.Resolve(result.GetValue(dataDir));
            var storeKind = result.GetValue(store)!;
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
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or StoreException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("berth serve: " + e.Message).ConfigureAwait(false);
                return 1;
            }

            await using (server.ConfigureAwait(false))
            {
                var controllers = new ControllerManager(InProcessApiClient.For(server), TimeProvider.System,
                    new ControllerManagerOptions
                    {
                        DataDir = dir,
                        SimulatedNode = true,
                        // Simulated containers take as long to stop as a small real process does. With an instant
                        // stop, a StatefulSet re-creates the pod between kubectl delete's GET and its LIST, and
                        // kubectl (which waits for the DELETED event of the old UID) never sees one.
                        Simulation = new() { TerminationDelay = TimeSpan.FromMilliseconds(250) },
                    });
                await using var controllersScope = controllers.ConfigureAwait(false);
                await controllers.StartAsync(cancellationToken).ConfigureAwait(false);
                StartupTrace.Mark("controllers synced");
                // Startup allocates far more than the server keeps (OpenAPI generation, the informers' first lists,
                // one-time caches) and the GC keeps those pages committed as its next gen0 budget, which it sizes from
                // the L3 cache (tens of MB). One full, compacting, decommitting collection once startup has settled
                // hands them back; after that the heap grows only with what requests need.
                _ = server.Settled.ContinueWith(_ =>
                {
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    StartupTrace.Mark("settled");
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                await Console.Error.WriteLineAsync($"berth: serving {server.Url} (store {storeKind}); kubeconfig: {server.KubeconfigPath}")
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
