using System.Text.RegularExpressions;

namespace Berth.E2E;

/// <summary>
/// Issue 6's stable-name promises with real workloads over real kubectl against <c>berth serve --runtime sandbox</c>:
/// a Redis replica follows its primary by the primary's stable DNS name, through the primary's re-creation, and the
/// seeds' <c>kubectl run -it --rm debug --image=busybox --restart=Never -- nslookup ...</c> works as typed. Needs root
/// and the packages scripts/test installs (bubblewrap, redis-server, nginx-light, busybox, nftables).
/// </summary>
public sealed partial class StableNameE2ETests(SandboxServerFixture fixture) : IClassFixture<SandboxServerFixture>
{
    // Ordinal 0 is the primary, every other one a replica of redis-0 by its stable name, as the seeds' redis manifests
    // do. A command replaces the image's entrypoint (as it does in Kubernetes), so protected mode is turned off here
    // the way the official image's build does it: otherwise the primary refuses the replica's connection.
    private static string Redis(string ns) => $$$"""
        apiVersion: v1
        kind: Service
        metadata: {name: redis, namespace: {{{ns}}}}
        spec:
          clusterIP: None
          selector: {app: redis}
          ports: [{port: 6379, name: redis}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: redis, namespace: {{{ns}}}}
        spec:
          serviceName: redis
          replicas: 2
          selector: {matchLabels: {app: redis}}
          template:
            metadata: {labels: {app: redis}}
            spec:
              terminationGracePeriodSeconds: 5
              containers:
              - name: redis
                image: redis:7
                command:
                - sh
                - -c
                - |
                  if [ "${HOSTNAME##*-}" = 0 ]; then
                    exec redis-server --protected-mode no --save ''
                  fi
                  exec redis-server --protected-mode no --save '' --replicaof redis-0.redis 6379
                ports: [{containerPort: 6379, name: redis}]
        """;

    [GeneratedRegex(@"^(?<key>[a-z_0-9]+):(?<value>.*?)\r?$", RegexOptions.Multiline)]
    private static partial Regex InfoLine();

    private static Dictionary<string, string> Info(string text) =>
        InfoLine().Matches(text).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);

    private static async Task<Dictionary<string, string>> ReplicationAsync(Kubectl kubectl, string ns, string pod) =>
        Info((await kubectl.RunAsync($"exec {pod} -n {ns} -- redis-cli info replication")).ShouldSucceed().Stdout);

    private static async Task<string> PodIpAsync(Kubectl kubectl, string ns, string pod) =>
        (await kubectl.RunAsync($"get pod {pod} -n {ns} -o jsonpath={{.status.podIP}}")).ShouldSucceed().Stdout.Trim();

    [Fact]
    public async Task A_Redis_replica_reaches_its_primary_by_stable_name_replicates_and_reconnects_after_the_primary_is_re_created()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var kubectl = fixture.Kubectl();
        const string ns = "redisrepl";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync("apply -f -", Redis(ns))).ShouldSucceed();
        await kubectl.WaitReadyAsync(ns, "redis-0");
        await kubectl.WaitReadyAsync(ns, "redis-1");
        var replicaIp = await PodIpAsync(kubectl, ns, "redis-1");

        // redis retries its primary every second (replicationCron), resolving redis-0.redis through the search path.
        await kubectl.UntilAsync($"exec redis-1 -n {ns} -- redis-cli info replication",
            s => Info(s).GetValueOrDefault("master_link_status") == "up", 60);
        Assert.Equal("OK", (await kubectl.RunAsync($"exec redis-0 -n {ns} -- redis-cli set greeting hello")).ShouldSucceed().Stdout.Trim());
        var read = await kubectl.UntilAsync($"exec redis-1 -n {ns} -- redis-cli get greeting", s => s.Trim() == "hello", 30);
        var primary = await ReplicationAsync(kubectl, ns, "redis-0");
        var replica = await ReplicationAsync(kubectl, ns, "redis-1");

        Assert.Equal("hello", read.Trim());
        Assert.Equal("master", primary["role"]);
        Assert.Equal("1", primary["connected_slaves"]);
        Assert.StartsWith($"ip={replicaIp},port=6379,state=online", primary["slave0"], StringComparison.Ordinal);
        Assert.Equal("slave", replica["role"]);
        Assert.Equal("redis-0.redis", replica["master_host"]);
        Assert.Equal(primary["master_replid"], replica["master_replid"]);

        // The primary is re-created (a new process with an empty dataset and a new replication id, its address may
        // change): the replica keeps asking for redis-0.redis, finds the new pod and resynchronises from it.
        var uid = (await kubectl.RunAsync($"get pod redis-0 -n {ns} -o jsonpath={{.metadata.uid}}")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"delete pod redis-0 -n {ns}", timeoutSeconds: 90)).ShouldSucceed();
        await kubectl.UntilAsync($"get pod redis-0 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != uid);
        await kubectl.WaitReadyAsync(ns, "redis-0");
        var newPrimary = await kubectl.UntilAsync($"exec redis-0 -n {ns} -- redis-cli info replication",
            s => Info(s).GetValueOrDefault("slave0", "").Contains("state=online", StringComparison.Ordinal), 60);
        var newReplid = Info(newPrimary)["master_replid"];
        await kubectl.UntilAsync($"exec redis-1 -n {ns} -- redis-cli info replication",
            s => Info(s) is var i && i.GetValueOrDefault("master_link_status") == "up" && i.GetValueOrDefault("master_replid") == newReplid, 60);
        Assert.Equal("OK", (await kubectl.RunAsync($"exec redis-0 -n {ns} -- redis-cli set after re-created")).ShouldSucceed().Stdout.Trim());
        var again = await kubectl.UntilAsync($"exec redis-1 -n {ns} -- redis-cli get after", s => s.Trim() == "re-created", 30);

        Assert.NotEqual(primary["master_replid"], newReplid);
        Assert.StartsWith($"ip={replicaIp},port=6379,state=online", Info(newPrimary)["slave0"], StringComparison.Ordinal);
        Assert.Equal("re-created", again.Trim());
        (await kubectl.RunAsync($"delete namespace {ns} --wait=false")).ShouldSucceed();
    }

    [Theory]
    [InlineData("1.33")]
    [InlineData("1.27")]
    public async Task The_seeds_kubectl_run_it_rm_busybox_nslookup_resolves_a_pods_stable_name_and_removes_the_pod(string version)
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        Assert.SkipUnless(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = fixture.Kubectl(version);
        var ns = "debug" + version.Replace(".", "", StringComparison.Ordinal);
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync("apply -f -", Manifests.Service(ns, "web") + "\n---\n" + Manifests.StatefulSet(ns, "web", replicas: 1))).ShouldSucceed();
        await kubectl.WaitReadyAsync(ns, "web-0");
        var ip = await PodIpAsync(kubectl, ns, "web-0");

        // -it with a test's stdin, which is no terminal: kubectl warns, attaches without a TTY and still prints the
        // output; --rm deletes the pod once it has completed.
        var run = await kubectl.RunAsync(
            $"run -it --rm debug -n {ns} --image=busybox --restart=Never -- nslookup web-0.web.{ns}.svc.cluster.local", stdin: "", timeoutSeconds: 120);
        var gone = await kubectl.RunAsync($"get pod debug -n {ns}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Unable to use a TTY", run.Stderr, StringComparison.Ordinal);
        Assert.Matches($@"Name:\s+web-0\.web\.{ns}\.svc\.cluster\.local\s+Address:\s+{Regex.Escape(ip)}", run.Stdout);
        Assert.Contains("pod \"debug\" deleted", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("NotFound", gone.Stderr, StringComparison.Ordinal);
        (await kubectl.RunAsync($"delete namespace {ns} --wait=false")).ShouldSucceed();
    }
}
