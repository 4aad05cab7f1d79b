using System.Text.RegularExpressions;

namespace Berth.E2E;

/// <summary>
/// Day-two commands against a real <c>berth serve --runtime simulated</c>: <c>kubectl rollout restart</c> and
/// <c>kubectl top pods|nodes</c> (metrics.k8s.io/v1beta1 from the simulated node's figures).
/// </summary>
public sealed partial class OperationsTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public OperationsTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private async Task<(Kubectl Kubectl, string Ns)> SetUpAsync(string version, string test, int replicas)
    {
        var kubectl = _fixture.Kubectl(version);
        var ns = $"{test}-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web", replicas: replicas))).ShouldSucceed();
        (await kubectl.RunAsync($"rollout status sts/web -n {ns} --timeout=40s", timeoutSeconds: 50)).ShouldSucceed();
        return (kubectl, ns);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Rollout_restart_replaces_every_pod_in_reverse_ordinal_order(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "restart", 3);
        var uids = (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].metadata.uid}}")).ShouldSucceed().Stdout
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, uids.Length);
        // `get -w -o name` prints the three pods, then a pod's name on each of its changes: the order in which names
        // come back after the initial list is the roll order.
        var watch = kubectl.RunAsync($"get pods -n {ns} -w -o name", timeoutSeconds: 25);
        await Task.Delay(1500);

        var restarted = (await kubectl.RunAsync($"rollout restart statefulset/web -n {ns}")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"rollout status sts/web -n {ns} --timeout=40s", timeoutSeconds: 50)).ShouldSucceed();
        var events = (await watch).Stdout;

        Assert.Equal("statefulset.apps/web restarted", restarted.Trim());
        var names = events.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("pod/", StringComparison.Ordinal)).Select(l => l[4..]).ToArray();
        Assert.True(names.Take(3).Order(StringComparer.Ordinal).SequenceEqual(["web-0", "web-1", "web-2"]), "watch saw:\n" + events);
        var rolled = names.Skip(3).ToArray();
        Assert.True(rolled.Distinct().SequenceEqual(["web-2", "web-1", "web-0"]), "watch saw:\n" + events);
        // Strictly one at a time: web-1 is touched only after web-2's last change, web-0 after web-1's.
        Assert.True(Array.LastIndexOf(rolled, "web-2") < Array.IndexOf(rolled, "web-1")
            && Array.LastIndexOf(rolled, "web-1") < Array.IndexOf(rolled, "web-0"), "watch saw:\n" + events);
        var after = (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].metadata.uid}}")).ShouldSucceed().Stdout
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, after.Length);
        Assert.Empty(after.Intersect(uids));
        var restartedAt = (await kubectl.RunAsync(
            $"get pod web-0 -n {ns} -o jsonpath={{.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}}")).ShouldSucceed().Stdout;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", restartedAt);
        var history = (await kubectl.RunAsync($"rollout history sts/web -n {ns}")).ShouldSucceed().Stdout;
        Assert.Matches(@"(?m)^1\s+<none>\s*$", history);
        Assert.Matches(@"(?m)^2\s+<none>\s*$", history);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Top_pods_and_nodes_print_the_upstream_tables(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "top", 2);

        var pods = (await kubectl.RunAsync($"top pods -n {ns}")).ShouldSucceed().Stdout;
        var lines = pods.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$", lines[0]);
        Assert.Matches(@"^web-0\s+[1-9]\d*m\s+[1-9]\d*Mi\s*$", lines[1]);
        Assert.Matches(@"^web-1\s+[1-9]\d*m\s+[1-9]\d*Mi\s*$", lines[2]);
        Assert.Equal(3, lines.Length);

        var containers = (await kubectl.RunAsync($"top pod web-1 -n {ns} --containers")).ShouldSucceed().Stdout;
        Assert.Matches(@"(?m)^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$", containers);
        Assert.Matches(@"(?m)^web-1\s+main\s+[1-9]\d*m\s+[1-9]\d*Mi\s*$", containers);

        var selected = (await kubectl.RunAsync($"top pods -n {ns} -l app=web --sort-by=memory")).ShouldSucceed().Stdout;
        Assert.Equal(3, selected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var missing = await kubectl.RunAsync($"top pod nope -n {ns}");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"podmetrics.metrics.k8s.io \"{ns}/nope\" not found", missing.Stderr, StringComparison.Ordinal);

        var nodes = (await kubectl.RunAsync("top nodes")).ShouldSucceed().Stdout;
        var nodeLines = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)\s*$", nodeLines[0]);
        Assert.Matches(@"^berth\s+1\d\dm\s+\d+%\s+640Mi\s+\d+%\s*$", nodeLines[1]);
    }

    [Fact]
    public async Task Metrics_group_is_listed_in_legacy_and_aggregated_discovery()
    {
        var kubectl = _fixture.Kubectl("1.33");
        var versions = (await kubectl.RunAsync("api-versions")).ShouldSucceed().Stdout;
        Assert.Contains("metrics.k8s.io/v1beta1", versions.Split('\n', StringSplitOptions.TrimEntries));
        var raw = (await kubectl.RunAsync("get --raw /apis/metrics.k8s.io/v1beta1")).ShouldSucceed().Stdout;
        Assert.Matches(WordPods(), raw);
        Assert.Contains("\"kind\":\"NodeMetrics\"", raw, StringComparison.Ordinal);
    }

    [GeneratedRegex("\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodMetrics\",\"verbs\":\\[\"get\",\"list\"\\]")]
    private static partial Regex WordPods();
}
