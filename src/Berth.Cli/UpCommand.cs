using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Berth.Cli.Daemon;
using Berth.Cli.Up;
using Spectre.Console;

namespace Berth.Cli;

/// <summary>
/// <c>berth up -f FILE...</c>, the main job: starts <c>berth serve</c> in the background unless one runs for the data
/// dir, applies the manifests (server-side apply, field manager <c>berth-up</c>), and shows progress until every
/// StatefulSet in them is rolled out; then says how to use kubectl.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Manifest file, directory of .yaml/.yml/.json files, or - for stdin (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var kustomize = new Option<string[]>("--kustomize", "-k") { Description = "Kustomization directory, rendered with `kubectl kustomize` (repeatable)" };
        var ns = new Option<string>("--namespace", "-n")
        {
            Description = "Namespace for objects that name none",
            DefaultValueFactory = _ => "default",
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: $BERTH_DATA_DIR, else ~/.berth)" };
        var listen = new Option<string?>("--listen") { Description = "When Berth is started: address and port to serve on (serve's default: 127.0.0.1:6443)" };
        var runtime = new Option<string?>("--runtime") { Description = "When Berth is started: pod runtime (passed to berth serve)" };
        runtime.AcceptOnlyFromAmong("sandbox", "simulated");
        var store = new Option<string?>("--store") { Description = "When Berth is started: storage backend (passed to berth serve)" };
        store.AcceptOnlyFromAmong("sqlite", "memory");
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to wait for start, apply and roll-out (e.g. 90s, 5m); exits 1 on timeout",
            DefaultValueFactory = _ => "5m",
        };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines even on a terminal" };
        var merge = new Option<bool>("--merge-kubeconfig") { Description = "Also merge a \"berth\" context into ~/.kube/config and make it current" };

        var command = new Command("up", "Start Berth if needed, apply manifests, and wait until every StatefulSet is rolled out")
        {
            files, kustomize, ns, dataDir, listen, runtime, store, timeout, plain, merge,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!GoDuration.TryParse(result.GetValue(timeout)!, out var limit))
            {
                await Console.Error.WriteLineAsync($"berth up: --timeout {result.GetValue(timeout)}: expected a duration such as 90s or 5m")
                    .ConfigureAwait(false);
                return 2;
            }

            var options = new UpOptions
            {
                Files = result.GetValue(files) ?? [],
                Kustomizations = result.GetValue(kustomize) ?? [],
                Namespace = result.GetValue(ns)!,
                DataDir = DataDirectory.Resolve(result.GetValue(dataDir)),
                DataDirGiven = result.GetValue(dataDir) is not null,
                Listen = result.GetValue(listen),
                Runtime = result.GetValue(runtime),
                Store = result.GetValue(store),
                Timeout = limit,
                Plain = result.GetValue(plain) || Console.IsOutputRedirected
                    || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
                    || Environment.GetEnvironmentVariable("TERM") == "dumb",
                MergeKubeconfig = result.GetValue(merge),
            };
            return await RunAsync(options, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(UpOptions options, CancellationToken cancellationToken)
    {
        var stdout = Console.Out;
        if (options.Files.Count == 0 && options.Kustomizations.Count == 0)
        {
            await Console.Error.WriteLineAsync("berth up: nothing to apply: give manifests with -f FILE (or -k DIR)").ConfigureAwait(false);
            return 2;
        }

        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        var phase = "starting Berth";
        // The waits end by cancellation on timeout, so the last progress they saw is kept here for the report.
        var seen = new StrongBox<IReadOnlyList<StatefulSetProgress>>([]);
        try
        {
            // Read everything first: a typo in a manifest should not leave a daemon started for nothing.
            var manifests = await ManifestReader.ReadAsync(options.Files, options.Kustomizations, options.Namespace, deadline.Token)
                .ConfigureAwait(false);
            var files = new DaemonFiles(options.DataDir);
            var (pid, api) = await EnsureRunningAsync(options, files, stdout, deadline.Token).ConfigureAwait(false);
            using (api)
            {
                phase = "applying";
                await ManifestApplier.ApplyAsync(api, manifests, stdout, deadline.Token).ConfigureAwait(false);
                var targets = manifests.Where(m => m.Resource.Kind == "StatefulSet").Select(m => (m.Namespace!, m.Name)).Distinct().ToList();
                if (targets.Count > 0)
                {
                    phase = "waiting for roll-out";
                    await using var tracker = new RolloutTracker(api.Client, targets);
                    tracker.Start();
                    var synced = tracker.Synced;
                    while (!synced.IsCompleted)
                    {
                        await Task.WhenAny(synced, Task.Delay(250, deadline.Token)).ConfigureAwait(false);
                        deadline.Token.ThrowIfCancellationRequested();
                        EnsureAlive(files, pid);
                    }

                    if (options.Plain)
                    {
                        await WaitPlainAsync(tracker, files, pid, stdout, seen, deadline.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await WaitLiveAsync(tracker, files, pid, clock, seen, deadline.Token).ConfigureAwait(false);
                    }

                    await stdout.WriteLineAsync($"{Plural(targets.Count, "StatefulSet")} rolled out in {GoDuration.Format(clock.Elapsed)}.")
                        .ConfigureAwait(false);
                }

                await PrintUsageAsync(options, files, pid, api.Server, stdout).ConfigureAwait(false);
            }

            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"berth up: timed out after {GoDuration.Format(options.Timeout)} {phase}").ConfigureAwait(false);
            foreach (var p in seen.Value ?? [])
            {
                if (!p.RolledOut)
                {
                    await Console.Error.WriteLineAsync($"  still waiting: {p.PlainLine}").ConfigureAwait(false);
                    foreach (var reason in p.Waiting)
                    {
                        await Console.Error.WriteLineAsync("    " + reason).ConfigureAwait(false);
                    }
                }
            }

            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("berth up: interrupted; Berth keeps running (berth down stops it)").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e) when (e is ManifestException or DaemonFailedException)
        {
            await Console.Error.WriteLineAsync("berth up: " + e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"berth up: lost the connection to Berth while {phase}: {e.Message} (see {Path.Combine(options.DataDir, "berth.log")})")
                .ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Reuses the daemon that holds the data dir, or starts one; returns once its API is ready.</summary>
    private static async Task<(int Pid, BerthApi Api)> EnsureRunningAsync(UpOptions options, DaemonFiles files, TextWriter output,
        CancellationToken cancellationToken)
    {
        int? started = null;
        if (files.ReadLivePid() is { } live)
        {
            var args = DaemonFiles.CommandLine(live) ?? [];
            var running = DaemonFiles.OptionValue(args, "--runtime");
            await output.WriteLineAsync($"Berth is already running (pid {live}, data dir {files.DataDir}).").ConfigureAwait(false);
            if (options.Runtime is not null && options.Runtime != (running ?? options.Runtime))
            {
                await output.WriteLineAsync(
                    $"  note: it runs with --runtime {running}; --runtime {options.Runtime} applies only when berth up starts Berth (berth down first)")
                    .ConfigureAwait(false);
            }
        }
        else
        {
            var serveArgs = new List<string>();
            if (options.Listen is not null)
            {
                serveArgs.AddRange(["--listen", options.Listen]);
            }

            if (options.Runtime is not null)
            {
                serveArgs.AddRange(["--runtime", options.Runtime]);
            }

            if (options.Store is not null)
            {
                serveArgs.AddRange(["--store", options.Store]);
            }

            if (files.ReadPid() is { } stale)
            {
                await output.WriteLineAsync($"Found a stale pid file (pid {stale} is not a running berth serve); starting a new one.")
                    .ConfigureAwait(false);
            }

            started = DaemonLauncher.Start(files, serveArgs);
            await output.WriteLineAsync($"Starting Berth (data dir {files.DataDir}, log {files.LogFile})...").ConfigureAwait(false);
        }

        var ready = await DaemonLauncher.WaitReadyAsync(files, started, cancellationToken).ConfigureAwait(false);
        if (started is not null)
        {
            await output.WriteLineAsync($"Berth is ready at {ready.Api.Server.ToString().TrimEnd('/')} (pid {ready.Pid}).").ConfigureAwait(false);
        }

        return ready;
    }

    private static async Task WaitPlainAsync(RolloutTracker tracker, DaemonFiles files, int pid, TextWriter output,
        StrongBox<IReadOnlyList<StatefulSetProgress>> seen, CancellationToken cancellationToken)
    {
        var view = new PlainProgressView(output);
        while (true)
        {
            var progress = tracker.Snapshot();
            seen.Value = progress;
            view.Show(progress);
            if (progress.All(p => p.RolledOut))
            {
                return;
            }

            await tracker.WaitForChangeAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            EnsureAlive(files, pid);
        }
    }

    /// <summary>The informers retry forever; a daemon that died is reported at once instead of at the timeout.</summary>
    private static void EnsureAlive(DaemonFiles files, int pid)
    {
        if (!DaemonFiles.IsAlive(pid))
        {
            throw new DaemonFailedException($"berth serve (pid {pid}) exited while waiting; the end of {files.LogFile}:\n"
                + DaemonLauncher.Tail(files.LogFile, 20));
        }
    }

    private static async Task WaitLiveAsync(RolloutTracker tracker, DaemonFiles files, int pid, Stopwatch clock,
        StrongBox<IReadOnlyList<StatefulSetProgress>> seen, CancellationToken cancellationToken)
    {
        var progress = tracker.Snapshot();
        var live = AnsiConsole.Live(LiveProgressView.Render(progress, clock.Elapsed, finished: false)).AutoClear(false);
        await live.StartAsync(async ctx =>
        {
            try
            {
                while (true)
                {
                    progress = tracker.Snapshot();
                    seen.Value = progress;
                    var done = progress.All(p => p.RolledOut);
                    ctx.UpdateTarget(LiveProgressView.Render(progress, clock.Elapsed, finished: done));
                    ctx.Refresh();
                    if (done)
                    {
                        return;
                    }

                    await tracker.WaitForChangeAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                    EnsureAlive(files, pid);
                }
            }
            catch (OperationCanceledException)
            {
                ctx.UpdateTarget(LiveProgressView.Render(progress, clock.Elapsed, finished: true));
                ctx.Refresh();
                throw;
            }
        }).ConfigureAwait(false);
    }

    private static async Task PrintUsageAsync(UpOptions options, DaemonFiles files, int pid, Uri server, TextWriter output)
    {
        var dataDirFlag = options.DataDirGiven ? " --data-dir " + files.DataDir : "";
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"Berth is running at {server.ToString().TrimEnd('/')} (pid {pid}, data dir {files.DataDir}).").ConfigureAwait(false);
        if (options.MergeKubeconfig)
        {
            var path = KubeconfigMerge.DefaultPath();
            var previous = KubeconfigMerge.MergeInto(path, files.Kubeconfig);
            await output.WriteLineAsync($"Merged context \"{KubeconfigMerge.Name}\" into {path} and made it current"
                + (previous is null || previous == KubeconfigMerge.Name ? "." : $" (it was \"{previous}\"; back with: kubectl config use-context {previous}).")).ConfigureAwait(false);
            await output.WriteLineAsync("Use kubectl as usual:").ConfigureAwait(false);
        }
        else
        {
            await output.WriteLineAsync("Use it with kubectl:").ConfigureAwait(false);
            await output.WriteLineAsync($"  export KUBECONFIG={files.Kubeconfig}").ConfigureAwait(false);
        }

        await output.WriteLineAsync("  kubectl get statefulsets,pods,pvc").ConfigureAwait(false);
        var berth = Environment.GetEnvironmentVariable("BERTH_INVOKED_AS") is { Length: > 0 } invoked ? invoked : "berth";
        await output.WriteLineAsync($"Status: {berth} status{dataDirFlag}   Stop: {berth} down{dataDirFlag} (add --purge to delete its data)").ConfigureAwait(false);
    }

    private static string Plural(int n, string word) => n == 1 ? $"1 {word}" : $"{n} {word}s";
}
