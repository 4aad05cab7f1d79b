using System.CommandLine;
using Berth.Cli.Daemon;
using Berth.Cli.Up;
using k8s.Models;

namespace Berth.Cli;

/// <summary>
/// <c>berth status</c>: whether Berth runs for the data dir, where (URL, pid, files), and what it runs: StatefulSets
/// with their readiness, pod and claim counts. Exits 0 when running, 1 when not.
/// </summary>
internal static partial class StatusCommand
{
    /// <summary>serve's start line: "berth: serving URL (store sqlite, runtime sandbox); kubeconfig: ...".</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^berth: serving \S+ \(store \w+, runtime (?<runtime>\w+)\)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ServingLine();

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: $BERTH_DATA_DIR, else ~/.berth)" };
        var command = new Command("status", "Show whether Berth runs, where, and the readiness of what it runs") { dataDir };
        command.SetAction(async (result, cancellationToken) =>
            await RunAsync(new DaemonFiles(DataDirectory.Resolve(result.GetValue(dataDir))), Console.Out, cancellationToken).ConfigureAwait(false));
        return command;
    }

    internal static async Task<int> RunAsync(DaemonFiles files, TextWriter output, CancellationToken cancellationToken)
    {
        if (files.ReadLivePid() is not { } pid)
        {
            await output.WriteLineAsync($"Berth is not running (data dir {files.DataDir}).").ConfigureAwait(false);
            if (files.ReadPid() is { } stale)
            {
                await output.WriteLineAsync($"  stale pid file: pid {stale} is not a running berth serve").ConfigureAwait(false);
            }

            return 1;
        }

        var args = DaemonFiles.CommandLine(pid) ?? [];
        using var api = BerthApi.TryOpen(files.Kubeconfig);
        var ready = api is not null && await api.IsReadyAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(ready ? "Berth is running." : "Berth is starting (its API is not ready yet).").ConfigureAwait(false);
        await output.WriteLineAsync($"  url:        {(api is null ? "-" : api.Server.ToString().TrimEnd('/'))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  pid:        {pid}").ConfigureAwait(false);
        await output.WriteLineAsync($"  runtime:    {DaemonFiles.OptionValue(args, "--runtime") ?? RuntimeFromLog(files) ?? "serve's default"}").ConfigureAwait(false);
        await output.WriteLineAsync($"  data dir:   {files.DataDir}").ConfigureAwait(false);
        await output.WriteLineAsync($"  kubeconfig: {files.Kubeconfig}").ConfigureAwait(false);
        await output.WriteLineAsync($"  log:        {(File.Exists(files.LogFile) ? files.LogFile : "- (started in the foreground)")}").ConfigureAwait(false);
        if (!ready)
        {
            return 0;
        }

        var client = api!.Client;
        var sets = (await client.ListAsync<V1StatefulSet>(null, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var pods = (await client.ListAsync<V1Pod>(null, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var claims = (await client.ListAsync<V1PersistentVolumeClaim>(null, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var rolledOut = sets.Count(s => RolloutReport.RolloutStatus(s).Done);
        await output.WriteLineAsync($"StatefulSets: {sets.Count} ({rolledOut} rolled out)").ConfigureAwait(false);
        foreach (var s in sets.OrderBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            var (done, why) = RolloutReport.RolloutStatus(s);
            await output.WriteLineAsync($"  {s.Metadata.NamespaceProperty}/{s.Metadata.Name}  {s.Status?.ReadyReplicas ?? 0}/{s.Spec.Replicas ?? 1} ready"
                + (done ? "" : "  (" + why + ")")).ConfigureAwait(false);
        }

        var readyPods = pods.Count(p => RolloutReport.State(p).State == "Ready");
        await output.WriteLineAsync($"Pods: {pods.Count} ({readyPods} ready)").ConfigureAwait(false);
        await output.WriteLineAsync($"PersistentVolumeClaims: {claims.Count} ({claims.Count(c => c.Status?.Phase == "Bound")} Bound)").ConfigureAwait(false);
        return 0;
    }

    /// <summary>The runtime serve chose when none was asked for (it logs it at start); null without a log line.</summary>
    private static string? RuntimeFromLog(DaemonFiles files)
    {
        try
        {
            return File.ReadLines(files.LogFile).Select(l => ServingLine().Match(l)).LastOrDefault(m => m.Success)?.Groups["runtime"].Value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
