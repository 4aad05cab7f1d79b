using System.Text.RegularExpressions;

namespace Berth.E2E;

/// <summary>
/// <c>berth up / status / down</c> as a user runs them: a real daemon started in the background, real kubectl
/// against it, processes checked by pid. Pods run on the simulated node (<c>--runtime simulated</c>).
/// </summary>
public sealed partial class BerthUpTests
{
    private static readonly string Web = Path.Combine(BerthCli.Examples, "web.yaml");

    [GeneratedRegex(@"^web \d/3 ready: (?<pods>.*?)( \(.*\))?$", RegexOptions.Multiline)]
    private static partial Regex WebLine();

    private static Kubectl Kubectl(BerthCli cli) => new("1.33", cli.Kubeconfig, Path.Combine(cli.DataDir, "kubectl-cache"));

    [Fact]
    public async Task Up_starts_a_daemon_and_returns_when_every_pod_is_ready_with_pods_in_ordinal_order()
    {
        await using var cli = new BerthCli();

        var up = (await cli.UpAsync($"-f {Web} --timeout 90s")).ShouldSucceed();
        var pid = cli.DaemonPid;
        var pods = (await Kubectl(cli).RunAsync("get pods --no-headers")).ShouldSucceed().Stdout;

        Assert.Contains("Starting Berth", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("service/nginx created", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("statefulset.apps/web created", up.Stdout, StringComparison.Ordinal);
        var lines = WebLine().Matches(up.Stdout).Select(m => m.Groups["pods"].Value.Split(", ")).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.Equal(["web-0", "web-1", "web-2"], line.Select(p => p.Split(' ')[0]));
            // OrderedReady, as up saw it: an ordinal exists only once every lower ordinal is Ready.
            var states = line.Select(p => p.Split(' ')[1]).ToArray();
            for (var j = 1; j < states.Length; j++)
            {
                Assert.True(states[j] == "-" || states[..j].All(s => s == "Ready"), string.Join(", ", line));
            }
        }

        Assert.Equal(["web-0 Ready", "web-1 Ready", "web-2 Ready"], lines[^1]);
        Assert.Contains("web 3/3 ready: web-0 Ready, web-1 Ready, web-2 Ready (rolled out)", up.Stdout, StringComparison.Ordinal);
        Assert.Contains($"export KUBECONFIG={cli.Kubeconfig}", up.Stdout, StringComparison.Ordinal);
        Assert.NotNull(pid);
        Assert.True(BerthCli.IsAlive(pid.Value));
        Assert.Matches(@"web-0\s+1/1\s+Running", pods);
        Assert.Matches(@"web-2\s+1/1\s+Running", pods);
    }

    [Fact]
    public async Task On_the_sandbox_runtime_up_waits_for_real_nginx_pods_and_down_stops_every_pod_process()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        await using var cli = new BerthCli();

        var up = (await cli.UpAsync($"-f {Web} --timeout 150s", timeoutSeconds: 200, runtime: "sandbox")).ShouldSucceed().Stdout;
        var pid = cli.DaemonPid!.Value;
        var served = (await Kubectl(cli).RunAsync("exec web-2 -- sh -c 'echo web-2 > /usr/share/nginx/html/index.html; cat /usr/share/nginx/html/index.html'"))
            .ShouldSucceed().Stdout;
        var pods = BerthCli.Descendants(pid).Where(p => p.CommandLine.StartsWith("nginx: master", StringComparison.Ordinal)).ToList();
        var status = (await cli.RunAsync($"status --data-dir {cli.DataDir}")).ShouldSucceed().Stdout;
        (await cli.RunAsync($"down --data-dir {cli.DataDir}", timeoutSeconds: 120)).ShouldSucceed();

        Assert.Contains("web 3/3 ready: web-0 Ready, web-1 Ready, web-2 Ready (rolled out)", up, StringComparison.Ordinal);
        Assert.Equal("web-2", served.Trim());
        Assert.Equal(3, pods.Count);
        Assert.Contains("runtime:    sandbox", status, StringComparison.Ordinal);
        Assert.False(BerthCli.IsAlive(pid), $"berth serve (pid {pid}) still runs");
        Assert.All(pods, p => Assert.False(BerthCli.IsAlive(p.Pid), $"pod process {p.Pid} ({p.CommandLine}) still runs after berth down"));
    }

    [Fact]
    public async Task Status_shows_the_daemon_and_readiness_and_a_second_up_reuses_the_daemon()
    {
        await using var cli = new BerthCli();
        (await cli.UpAsync($"-f {Web}")).ShouldSucceed();
        var pid = cli.DaemonPid;

        var status = (await cli.RunAsync($"status --data-dir {cli.DataDir}")).ShouldSucceed().Stdout;
        var again = (await cli.UpAsync($"-f {Web}")).ShouldSucceed().Stdout;

        Assert.Contains("Berth is running.", status, StringComparison.Ordinal);
        Assert.Contains($"pid:        {pid}", status, StringComparison.Ordinal);
        Assert.Contains($"url:        https://127.0.0.1:{cli.Port}", status, StringComparison.Ordinal);
        Assert.Contains($"data dir:   {cli.DataDir}", status, StringComparison.Ordinal);
        Assert.Contains("runtime:    simulated", status, StringComparison.Ordinal);
        Assert.Contains("StatefulSets: 1 (1 rolled out)", status, StringComparison.Ordinal);
        Assert.Contains("default/web  3/3 ready", status, StringComparison.Ordinal);
        Assert.Contains("Pods: 3 (3 ready)", status, StringComparison.Ordinal);
        Assert.Contains("PersistentVolumeClaims: 3 (3 Bound)", status, StringComparison.Ordinal);
        Assert.Contains($"Berth is already running (pid {pid}", again, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting Berth", again, StringComparison.Ordinal);
        Assert.Contains("statefulset.apps/web unchanged", again, StringComparison.Ordinal);
        Assert.Equal(pid, cli.DaemonPid);
    }

    [Fact]
    public async Task Down_stops_the_daemon_by_pid_and_purge_removes_the_data_dir()
    {
        await using var cli = new BerthCli();
        (await cli.UpAsync($"-f {Web}")).ShouldSucceed();
        var pid = cli.DaemonPid!.Value;

        var down = (await cli.RunAsync($"down --data-dir {cli.DataDir}")).ShouldSucceed().Stdout;
        var alive = BerthCli.IsAlive(pid);
        var kept = Directory.Exists(Path.Combine(cli.DataDir, "volumes"));
        var status = await cli.RunAsync($"status --data-dir {cli.DataDir}");
        var purge = (await cli.RunAsync($"down --purge --data-dir {cli.DataDir}")).ShouldSucceed().Stdout;

        Assert.Contains($"Stopping Berth (pid {pid}", down, StringComparison.Ordinal);
        Assert.Contains("Berth stopped.", down, StringComparison.Ordinal);
        Assert.False(alive, $"pid {pid} still runs after berth down");
        Assert.False(File.Exists(cli.PidFile));
        Assert.True(kept, "down without --purge keeps the data");
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("Berth is not running", status.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Removed {cli.DataDir}.", purge, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cli.DataDir));
    }

    [Fact]
    public async Task A_claim_with_a_missing_storage_class_times_out_naming_the_pvc_reason()
    {
        await using var cli = new BerthCli();
        var manifest = Path.Combine(cli.DataDir, "fast-ssd.yaml");
        Directory.CreateDirectory(cli.DataDir);
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(Web)).Replace(
            "accessModes: [ \"ReadWriteOnce\" ]", "accessModes: [ \"ReadWriteOnce\" ]\n      storageClassName: fast-ssd", StringComparison.Ordinal));

        var up = await cli.UpAsync($"-f {manifest} --timeout 20s");

        Assert.Equal(1, up.ExitCode);
        Assert.Contains("PVC www-web-0 Pending: storageclass.storage.k8s.io \"fast-ssd\" not found", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("berth up: timed out after 20s waiting for roll-out", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("still waiting: web 0/3 ready: web-0 Pending, web-1 -, web-2 -", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("PVC www-web-0 Pending: storageclass.storage.k8s.io \"fast-ssd\" not found", up.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_that_dies_while_up_waits_ends_up_at_once_with_its_log()
    {
        await using var cli = new BerthCli();
        var manifest = Path.Combine(cli.DataDir, "fast-ssd.yaml");
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(Web)).Replace(
            "accessModes: [ \"ReadWriteOnce\" ]", "accessModes: [ \"ReadWriteOnce\" ]\n      storageClassName: fast-ssd", StringComparison.Ordinal));

        var running = cli.UpAsync($"-f {manifest} --timeout 120s", timeoutSeconds: 150);
        var kubectl = Kubectl(cli);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await kubectl.RunAsync("get events --field-selector involvedObject.name=www-web-0")).Stdout.Contains("ProvisioningFailed", StringComparison.Ordinal) is false)
        {
            Assert.True(DateTime.UtcNow < deadline, "the claim never failed to provision");
            await Task.Delay(200);
        }

        // berth up is waiting on the roll-out now (or about to); the daemon goes away under it.
        await Task.Delay(1000);
        var pid = cli.DaemonPid!.Value;
        BerthCli.KillNow(pid);
        var up = await running;

        Assert.Equal(1, up.ExitCode);
        Assert.Contains($"berth serve (pid {pid}) exited while waiting", up.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("timed out", up.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_example_applies_and_rolls_out()
    {
        await using var cli = new BerthCli();

        var up = (await cli.UpAsync($"-f {BerthCli.Examples} --timeout 120s", timeoutSeconds: 180)).ShouldSucceed().Stdout;
        var sets = (await Kubectl(cli).RunAsync("get sts -A --no-headers")).ShouldSucceed().Stdout;

        string[] objects =
        [
            "namespace/catalog", "secret/catalog-db", "service/catalog-mysql", "statefulset.apps/catalog-mysql", "service/catalog-mysql-pvc",
            "statefulset.apps/catalog-mysql-pvc", "poddisruptionbudget.policy/postgres-pdb", "secret/postgres-secret", "service/postgres-headless",
            "statefulset.apps/postgres", "configmap/redis-config", "service/redis-cluster", "statefulset.apps/redis-cluster", "service/web-cache",
            "statefulset.apps/web-cache", "service/nginx", "statefulset.apps/web",
        ];
        foreach (var o in objects)
        {
            Assert.Contains(o + " created", up, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("configured", up, StringComparison.Ordinal);
        Assert.Contains("6 StatefulSets rolled out", up, StringComparison.Ordinal);
        Assert.Contains("poddisruptionbudget.policy/postgres-pdb created", up, StringComparison.Ordinal);
        Assert.Matches(@"catalog\s+catalog-mysql\s+1/1", sets);
        Assert.Matches(@"catalog\s+catalog-mysql-pvc\s+1/1", sets);
        Assert.Matches(@"default\s+postgres\s+3/3", sets);
        Assert.Matches(@"default\s+redis-cluster\s+6/6", sets);
        Assert.Matches(@"default\s+web\s+3/3", sets);
        Assert.Matches(@"default\s+web-cache\s+5/5", sets);
    }

    [Fact]
    public async Task Kustomize_renders_with_kubectl_and_merge_kubeconfig_adds_a_current_berth_context()
    {
        await using var cli = new BerthCli();
        var home = Path.Combine(cli.DataDir, "home");
        var kustomization = Path.Combine(cli.DataDir, "kustomize");
        Directory.CreateDirectory(kustomization);
        File.Copy(Web, Path.Combine(kustomization, "web.yaml"));
        await File.WriteAllTextAsync(Path.Combine(kustomization, "kustomization.yaml"), "resources: [web.yaml]\nnamePrefix: shop-\n");
        cli.SetEnvironment("HOME", home);
        cli.SetEnvironment("PATH", "/usr/lib/google-cloud-sdk/bin:" + Environment.GetEnvironmentVariable("PATH"));

        var up = (await cli.UpAsync($"-k {kustomization} --merge-kubeconfig")).ShouldSucceed().Stdout;
        var viaContext = await RunKubectlWithHomeAsync(home, "get sts --no-headers");

        Assert.Contains("statefulset.apps/shop-web created", up, StringComparison.Ordinal);
        Assert.Contains("shop-web 3/3 ready", up, StringComparison.Ordinal);
        Assert.True(up.Contains($"Merged context \"berth\" into {home}/.kube/config", StringComparison.Ordinal), up);
        Assert.DoesNotContain("export KUBECONFIG", up, StringComparison.Ordinal);
        Assert.Equal(0, viaContext.ExitCode);
        Assert.Matches(@"shop-web\s+3/3", viaContext.Stdout);
    }

    [Fact]
    public async Task A_second_serve_on_the_data_dir_is_refused_and_a_stale_pid_file_is_taken_over()
    {
        await using var cli = new BerthCli();
        Directory.CreateDirectory(cli.DataDir);
        // A pid that is certainly not a berth serve: this test process's own.
        await File.WriteAllTextAsync(cli.PidFile, Environment.ProcessId + "\n");

        var up = (await cli.UpAsync($"-f {Web}")).ShouldSucceed().Stdout;
        var second = await cli.RunAsync($"serve --data-dir {cli.DataDir} --listen 127.0.0.1:{cli.Port}", timeoutSeconds: 60);

        Assert.Contains($"Found a stale pid file (pid {Environment.ProcessId} is not a running berth serve)", up, StringComparison.Ordinal);
        Assert.NotEqual(Environment.ProcessId, cli.DaemonPid);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"berth is already running for {cli.DataDir} (pid {cli.DaemonPid})", second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_berth_does_not_serve_is_refused_before_anything_starts()
    {
        await using var cli = new BerthCli();
        var manifest = Path.Combine(cli.DataDir, "deployment.yaml");
        await File.WriteAllTextAsync(manifest, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n");

        var up = await cli.UpAsync($"-f {manifest}");

        Assert.Equal(1, up.ExitCode);
        Assert.Contains("no matches for kind \"Deployment\" in version \"apps/v1\"", up.Stderr, StringComparison.Ordinal);
        Assert.Null(cli.DaemonPid);
        Assert.False(File.Exists(Path.Combine(cli.DataDir, "berth.log")));
    }

    private static async Task<KubectlResult> RunKubectlWithHomeAsync(string home, string arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["HOME"] = home;
        start.Environment.Remove("KUBECONFIG");
        foreach (var arg in Berth.E2E.Kubectl.Split(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }
}
