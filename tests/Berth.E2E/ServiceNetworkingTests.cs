namespace Berth.E2E;

/// <summary>Services, Endpoints and EndpointSlices through real kubectl 1.33 and 1.27 against a real berth serve.</summary>
public sealed class ServiceNetworkingTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public ServiceNetworkingTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private static string ClusterIpService(string ns, string name, string app) => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{name}}
          namespace: {{ns}}
        spec:
          selector: {app: {{app}}}
          ports: [{port: 8080, targetPort: http, name: http}]
        """;

    private static async Task<string> EventuallyAsync(Kubectl kubectl, string arguments, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var output = (await kubectl.RunAsync(arguments)).ShouldSucceed().Stdout;
            if (done(output) || DateTime.UtcNow > deadline)
            {
                return output;
            }

            await Task.Delay(200);
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Services_show_their_cluster_IPs_and_endpoints_follow_the_pods(string version)
    {
        Assert.True(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = _fixture.Kubectl(version);
        var ns = $"svc-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync("apply -f -", string.Join("\n---\n",
            Manifests.Service(ns, "web"), Manifests.StatefulSet(ns, "web"), ClusterIpService(ns, "front", "web")))).ShouldSucceed();

        var services = (await kubectl.RunAsync($"get svc -n {ns}")).ShouldSucceed().Stdout;
        var endpoints = await EventuallyAsync(kubectl, $"get endpoints web front -n {ns}",
            o => System.Text.RegularExpressions.Regex.Matches(o, @"\d+\.\d+\.\d+\.\d+:80\b").Count == 4);
        var slices = await EventuallyAsync(kubectl, $"get endpointslices -n {ns} -l kubernetes.io/service-name=web",
            o => System.Text.RegularExpressions.Regex.IsMatch(o, @"\d+\.\d+\.\d+\.\d+,\d+\.\d+\.\d+\.\d+"));
        var sliceYaml = (await kubectl.RunAsync($"get endpointslices -n {ns} -l kubernetes.io/service-name=web -o yaml")).ShouldSucceed().Stdout;

        Assert.Matches(@"NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE", services);
        Assert.Matches(@"web\s+ClusterIP\s+None\s+<none>\s+80/TCP", services);
        Assert.Matches(@"front\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+8080/TCP", services);
        Assert.Matches(@"web\s+\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80", endpoints);
        Assert.Matches(@"front\s+\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80", endpoints);
        Assert.Matches(@"NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE", slices);
        Assert.Matches(@"web-\w{5}\s+IPv4\s+80\s+", slices);
        Assert.Contains("hostname: web-1", sliceYaml, StringComparison.Ordinal);
        Assert.Contains("endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io", sliceYaml, StringComparison.Ordinal);

        // Scaled to one pod, the endpoints follow.
        (await kubectl.RunAsync($"scale sts web -n {ns} --replicas=1")).ShouldSucceed();
        var scaled = await EventuallyAsync(kubectl, $"get endpoints web -n {ns}",
            o => System.Text.RegularExpressions.Regex.Matches(o, @"\d+\.\d+\.\d+\.\d+:80\b").Count == 1);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(scaled, @"\d+\.\d+\.\d+\.\d+:80\b"));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_requested_cluster_IP_outside_the_range_or_taken_is_refused_with_upstream_messages(string version)
    {
        Assert.True(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = _fixture.Kubectl(version);
        var ns = $"svcip-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        var ip = version == "1.33" ? "10.96.200.1" : "10.96.200.2";

        // (kubectl 1.32+ `create service` sends protobuf, which Berth answers 415: apply a manifest instead.)
        string WithIp(string name, string clusterIp) => ClusterIpService(ns, name, "x").Replace("spec:", $"spec:\n  clusterIP: {clusterIp}", StringComparison.Ordinal);
        var foreign = await kubectl.RunAsync("apply -f -", WithIp("far", "1.1.1.1"));
        (await kubectl.RunAsync("apply -f -", WithIp("first", ip))).ShouldSucceed();
        var taken = await kubectl.RunAsync("apply -f -", WithIp("second", ip));

        Assert.NotEqual(0, foreign.ExitCode);
        Assert.Contains("spec.clusterIPs: Invalid value: []string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) "
            + "is not in the valid range. The range of valid IPs is 10.96.0.0/16", foreign.Stderr, StringComparison.Ordinal);
        Assert.Contains($"failed to allocate IP {ip}: provided IP is already allocated", taken.Stderr, StringComparison.Ordinal);
    }
}
