using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.E2E;

/// <summary>
/// <c>kubectl top</c> against a real <c>berth serve --runtime sandbox</c>: figures come from the pods' cgroups (pods
/// with limits) and /proc (the idle pod, without), and the node's from /proc. Tolerant of a loaded machine: it polls until
/// figures appear and compares a busy pod with an idle one instead of expecting absolute CPU figures.
/// </summary>
public sealed partial class SandboxTopE2ETests(SandboxServerFixture fixture) : IClassFixture<SandboxServerFixture>
{
    private const string Ns = "top";

    private static string Pods => $$$"""
        apiVersion: v1
        kind: Namespace
        metadata: {name: {{{Ns}}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: burn, namespace: {{{Ns}}}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:1.36
            command: [sh, -c, "while :; do :; done"]
            # A quarter core at most: the suites share the machine and run test classes side by side.
            resources: {limits: {cpu: 250m}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: idle, namespace: {{{Ns}}}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - {name: main, image: "busybox:1.36", command: [sleep, "3600"]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: hold, namespace: {{{Ns}}}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:1.36
            # 48 MiB in the container's own /dev/shm: shared memory, charged to its cgroup, part of its working set.
            command: [sh, -c, "dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 && exec sleep 3600"]
            resources: {limits: {memory: 256Mi, cpu: "1"}}
        """;

    /// <summary>Pod name → (millicores, MiB) from a <c>kubectl top pods</c> table.</summary>
    private static Dictionary<string, (int Millicores, int MiB)> Parse(string table) =>
        PodRow().Matches(table).ToDictionary(m => m.Groups[1].Value,
            m => (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));

    private static Task<string> TopUntilAsync(Kubectl kubectl, string args, Func<string, bool> done, int seconds = 120) =>
        KubectlPoll.UntilAsync(kubectl, args, done, seconds, intervalMilliseconds: 1000);

    [Fact]
    public async Task Top_pods_and_nodes_show_cgroup_and_proc_figures_of_real_pods_for_kubectl_1_33_and_1_27()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var kubectl = fixture.Kubectl();
        (await kubectl.RunAsync("apply -f -", Pods)).ShouldSucceed();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod --all -n {Ns} --timeout=120s", timeoutSeconds: 150)).ShouldSucceed();

        // The busy loop's CPU against the idle pod's, once every pod has figures and hold's memory is filled.
        var pods = await TopUntilAsync(kubectl, $"top pods -n {Ns}", table =>
        {
            var rows = Parse(table);
            return rows.Count == 3 && rows["hold"].MiB >= 48 && rows["burn"].Millicores >= 20
                && rows["burn"].Millicores > 5 * rows["idle"].Millicores;
        });
        var lines = pods.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.InRange(Parse(pods)["hold"].MiB, 48, 256);

        var containers = (await kubectl.RunAsync($"top pod hold -n {Ns} --containers")).ShouldSucceed().Stdout;
        Assert.Matches(@"(?m)^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$", containers);
        Assert.Matches(@"(?m)^hold\s+main\s+\d+m\s+(4[89]|[5-9]\d|1\d\d|2[0-5]\d)Mi\s*$", containers);

        foreach (var client in (Kubectl[])[kubectl, fixture.Kubectl("1.27")])
        {
            var nodes = (await client.RunAsync("top nodes")).ShouldSucceed().Stdout;
            var nodeLines = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)\s*$", nodeLines[0]);
            Assert.Matches(@"^berth\s+[1-9]\d*m\s+\d+%\s+[1-9]\d*Mi\s+\d+%\s*$", nodeLines[1]);
        }

        var old = (await fixture.Kubectl("1.27").RunAsync($"top pods -n {Ns} --sort-by=memory")).ShouldSucceed().Stdout;
        Assert.Matches(@"^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n", old);
        Assert.Equal("hold", Parse(old).Keys.First());
        Assert.Equal(3, Parse(old).Count);

        // kubectl exec runs inside the container's cgroup (the one whose figures top shows), as runc exec does.
        var cgroups = (await kubectl.RunAsync($"exec hold -n {Ns} -- cat /proc/self/cgroup")).ShouldSucceed().Stdout;
        Assert.Matches(@"(?m)^\d+:(memory)?:/berth/[^/]+/top_hold_main_0$", cgroups);
        (await kubectl.RunAsync($"delete pod burn -n {Ns} --wait=false")).ShouldSucceed();
    }

    [GeneratedRegex(@"(?m)^(\S+)\s+(\d+)m\s+(\d+)Mi\s*$")]
    private static partial Regex PodRow();
}
