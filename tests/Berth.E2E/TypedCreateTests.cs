namespace Berth.E2E;

/// <summary>
/// kubectl's generator commands: 1.32+ send these creates as protobuf (application/vnd.kubernetes.protobuf, no JSON
/// retry on 415), 1.27 as JSON; both must work the same.
/// </summary>
public sealed class TypedCreateTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public TypedCreateTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Create_configmap_secret_namespace_and_serviceaccount(string version)
    {
        Assert.True(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = _fixture.Kubectl(version);
        var ns = "typed-" + version.Replace(".", "", StringComparison.Ordinal);

        var namespaceCreated = (await kubectl.RunAsync($"create namespace {ns}")).ShouldSucceed();
        var configMap = (await kubectl.RunAsync($"create configmap x --from-literal=a=b -n {ns}")).ShouldSucceed();
        var secret = (await kubectl.RunAsync($"create secret generic s --from-literal=p=q -n {ns}")).ShouldSucceed();
        var account = (await kubectl.RunAsync($"create serviceaccount robot -n {ns}")).ShouldSucceed();

        Assert.Equal($"namespace/{ns} created\n", namespaceCreated.Stdout);
        Assert.Equal("configmap/x created\n", configMap.Stdout);
        Assert.Equal("secret/s created\n", secret.Stdout);
        Assert.Equal("serviceaccount/robot created\n", account.Stdout);
        Assert.Equal("b", (await kubectl.RunAsync($"get configmap x -n {ns} -o jsonpath={{.data.a}}")).ShouldSucceed().Stdout);
        Assert.Equal("cQ==", (await kubectl.RunAsync($"get secret s -n {ns} -o jsonpath={{.data.p}}")).ShouldSucceed().Stdout);
        Assert.Equal("Opaque", (await kubectl.RunAsync($"get secret s -n {ns} -o jsonpath={{.type}}")).ShouldSucceed().Stdout);
        Assert.Equal("kubectl-create", (await kubectl.RunAsync($"get configmap x -n {ns} -o jsonpath={{.metadata.managedFields[0].manager}}"))
            .ShouldSucceed().Stdout);
        Assert.Matches(@"robot\s+0\s+\d+s", (await kubectl.RunAsync($"get serviceaccount -n {ns}")).ShouldSucceed().Stdout);

        var again = await kubectl.RunAsync($"create configmap x --from-literal=a=c -n {ns}");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("error: failed to create configmap: configmaps \"x\" already exists", again.Stderr, StringComparison.Ordinal);
    }
}
