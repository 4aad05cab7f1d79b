namespace Berth.E2E;

/// <summary>
/// <c>kubectl drain</c> against a real <c>berth serve --runtime simulated</c> with a PodDisruptionBudget: the
/// eviction subresource answers 429 while the disruption controller allows no disruption (kubectl retries every
/// 5 s, printing upstream's message), and the drain completes once the budget allows it. Its own server: a drain
/// empties the node for everything on it.
/// </summary>
public sealed class DrainTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public DrainTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private static string Budget(string ns, string minAvailable) => $"""
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: web
          namespace: {ns}
        spec:
          minAvailable: {minAvailable}
          selector:
            matchLabels: {"{"}app: web{"}"}
        """;

    private static Task<string> UntilAsync(Kubectl kubectl, string args, Func<string, bool> done, int seconds = 30) =>
        KubectlPoll.UntilAsync(kubectl, args, done, seconds, intervalMilliseconds: 250);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Drain_waits_for_the_disruption_budget_then_empties_the_node(string version)
    {
        var kubectl = _fixture.Kubectl(version);
        var ns = "drain-" + version.Replace(".", "", StringComparison.Ordinal);
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        try
        {
            (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web", replicas: 3))).ShouldSucceed();
            (await kubectl.RunAsync($"rollout status sts/web -n {ns} --timeout=40s", timeoutSeconds: 50)).ShouldSucceed();
            (await kubectl.RunAsync("apply -f -", Budget(ns, "3"))).ShouldSucceed();

            // The disruption controller's status, as `get pdb` and `describe pdb` show it.
            var table = await UntilAsync(kubectl, $"get pdb -n {ns}", s => s.Contains("web ", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(s, @"(?m)^web\s+3\s+N/A\s+0\s+\S+\s*$"));
            Assert.Matches(@"^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE", table);
            var described = (await kubectl.RunAsync($"describe pdb web -n {ns}")).ShouldSucceed().Stdout;
            Assert.Matches(@"(?m)^Min available:\s+3$", described);
            Assert.Matches(@"(?m)^Selector:\s+app=web$", described);
            Assert.Matches(@"(?m)^\s+Allowed disruptions:\s+0$", described);
            Assert.Matches(@"(?m)^\s+Current:\s+3$", described);
            Assert.Matches(@"(?m)^\s+Desired:\s+3$", described);
            Assert.Matches(@"(?m)^\s+Total:\s+3$", described);

            // Blocked: every eviction gets 429 and kubectl retries every 5 s; the budget is relaxed mid-drain.
            var drain = kubectl.RunAsync("drain berth --ignore-daemonsets --delete-emptydir-data --timeout=90s", timeoutSeconds: 100);
            await Task.Delay(TimeSpan.FromSeconds(7));
            Assert.False(drain.IsCompleted, "the drain should still be waiting for the budget");
            (await kubectl.RunAsync($"patch pdb web -n {ns} --type=merge -p '{{\"spec\":{{\"minAvailable\":0}}}}'")).ShouldSucceed();
            var drained = (await drain).ShouldSucceed();

            Assert.Contains("node/berth cordoned", drained.Stdout, StringComparison.Ordinal);
            Assert.Contains(
                $"error when evicting pods/\"web-0\" -n \"{ns}\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.",
                drained.Stderr, StringComparison.Ordinal);
            foreach (var pod in (string[])["web-0", "web-1", "web-2"])
            {
                Assert.Contains($"pod/{pod} evicted", drained.Stdout, StringComparison.Ordinal);
            }

            Assert.Contains("node/berth drained", drained.Stdout, StringComparison.Ordinal);

            // The StatefulSet re-creates web-0, but the cordoned node takes no pod until uncordoned (and OrderedReady
            // creates web-1 only once web-0 is ready).
            var pending = await UntilAsync(kubectl, $"get pods -n {ns} -o jsonpath={{.items[*].metadata.name}}:{{.items[*].status.phase}}",
                s => s == "web-0:Pending");
            Assert.Equal("web-0:Pending", pending);
            var reason = (await kubectl.RunAsync(
                $"get pod web-0 -n {ns} -o jsonpath={{.status.conditions[0].type}}:{{.status.conditions[0].message}}")).ShouldSucceed().Stdout;
            Assert.StartsWith("PodScheduled:0/1 nodes are available: 1 node(s) were unschedulable.", reason, StringComparison.Ordinal);
            Assert.Contains("SchedulingDisabled", (await kubectl.RunAsync("get nodes")).ShouldSucceed().Stdout, StringComparison.Ordinal);

            Assert.Contains("node/berth uncordoned", (await kubectl.RunAsync("uncordon berth")).ShouldSucceed().Stdout, StringComparison.Ordinal);
            (await kubectl.RunAsync($"rollout status sts/web -n {ns} --timeout=40s", timeoutSeconds: 50)).ShouldSucceed();
            await UntilAsync(kubectl, $"get pdb web -n {ns} -o jsonpath={{.status.currentHealthy}}/{{.status.disruptionsAllowed}}",
                s => s == "3/3");
        }
        finally
        {
            await kubectl.RunAsync("uncordon berth");
            await kubectl.RunAsync($"delete namespace {ns} --wait=false");
        }
    }
}
