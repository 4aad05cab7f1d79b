namespace Berth.E2E;

/// <summary>
/// managedFields with real kubectl 1.33 and 1.27: every write is recorded, kubectl hides the records unless asked, and
/// server-side apply reports upstream's conflicts with client-side apply and with kubectl scale.
/// </summary>
public sealed class ManagedFieldsTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public ManagedFieldsTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private static string Sts(string ns, int replicas = 2, string containerExtra = "") => $$"""
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: web
          namespace: {{ns}}
        spec:
          serviceName: web
          replicas: {{replicas}}
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: main
                image: nginx:1.25{{containerExtra}}
        """;

    private async Task<(Kubectl Kubectl, string Ns)> SetUpAsync(string version, string test)
    {
        Assert.True(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = _fixture.PlainKubectl(version);
        var ns = $"{test}-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        return (kubectl, ns);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Writes_are_recorded_and_get_shows_them_only_when_asked(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "mf-get");
        (await kubectl.RunAsync("apply -f -", Sts(ns))).ShouldSucceed();
        (await kubectl.RunAsync($"label sts web -n {ns} tier=frontend")).ShouldSucceed();

        var plain = (await kubectl.RunAsync($"get sts web -n {ns} -o yaml")).ShouldSucceed().Stdout;
        var shown = (await kubectl.RunAsync($"get sts web -n {ns} -o yaml --show-managed-fields")).ShouldSucceed().Stdout;

        Assert.DoesNotContain("managedFields", plain, StringComparison.Ordinal);
        Assert.Contains("kind: StatefulSet", plain, StringComparison.Ordinal);
        Assert.Contains("managedFields:", shown, StringComparison.Ordinal);
        Assert.Contains("manager: kubectl-client-side-apply", shown, StringComparison.Ordinal);
        Assert.Contains("manager: kubectl-label", shown, StringComparison.Ordinal);
        Assert.Contains("operation: Update", shown, StringComparison.Ordinal);
        Assert.Contains("f:tier: {}", shown, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Server_side_apply_over_client_side_apply_reports_the_upstream_conflict_unless_forced(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "mf-csa");
        (await kubectl.RunAsync("apply -f -", Sts(ns))).ShouldSucceed();
        var changed = Sts(ns, containerExtra: "\n        imagePullPolicy: Always");

        var refused = await kubectl.RunAsync("apply --server-side -f -", changed);
        var forced = await kubectl.RunAsync("apply --server-side --force-conflicts -f -", changed);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: "
            + ".spec.template.spec.containers[name=\"main\"].imagePullPolicy", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force-conflicts", refused.Stderr, StringComparison.Ordinal);
        forced.ShouldSucceed();
        Assert.Contains("statefulset.apps/web serverside-applied", forced.Stdout, StringComparison.Ordinal);
        var policy = (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.template.spec.containers[0].imagePullPolicy}}"))
            .ShouldSucceed().Stdout;
        Assert.Equal("Always", policy);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Server_side_apply_takes_over_from_client_side_apply_what_it_applied_itself(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "mf-upgrade");
        (await kubectl.RunAsync("apply -f -", Sts(ns, replicas: 2))).ShouldSucceed();

        // The replicas are in the client-side apply's last-applied annotation with the live value: upstream's
        // lastAppliedManager lets kubectl's server-side apply take them over without a conflict.
        var upgraded = (await kubectl.RunAsync("apply --server-side -f -", Sts(ns, replicas: 3))).ShouldSucceed();

        Assert.Contains("statefulset.apps/web serverside-applied", upgraded.Stdout, StringComparison.Ordinal);
        var replicas = (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.replicas}}")).ShouldSucceed().Stdout;
        Assert.Equal("3", replicas);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Scale_between_server_side_applies_conflicts_on_replicas_with_manager_kubectl(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "mf-scale");
        (await kubectl.RunAsync("apply --server-side -f -", Sts(ns, replicas: 2))).ShouldSucceed();
        (await kubectl.RunAsync($"scale sts web -n {ns} --replicas=4")).ShouldSucceed();

        var refused = await kubectl.RunAsync("apply --server-side -f -", Sts(ns, replicas: 2));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas",
            refused.Stderr, StringComparison.Ordinal);
        var replicas = (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.replicas}}")).ShouldSucceed().Stdout;
        Assert.Equal("4", replicas);
    }
}
