namespace Berth.E2E;

/// <summary>
/// The seeds' redis-cluster StatefulSet (examples/redis-cluster.yaml, as written) with real processes on
/// <c>berth serve --runtime sandbox</c>: its initContainer derives each pod's role from the ordinal in $HOSTNAME and
/// writes the redis.conf the main container then runs with.
/// </summary>
public sealed class SeedRedisE2ETests(SandboxServerFixture fixture) : IClassFixture<SandboxServerFixture>
{
    [Fact]
    public async Task The_redis_initContainer_derives_each_pods_role_from_the_ordinal_in_its_hostname()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var kubectl = fixture.Kubectl();
        const string ns = "seedredis";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync($"apply -n {ns} -f {Path.Combine(BerthCli.Examples, "redis-cluster.yaml")}")).ShouldSucceed();
        (await kubectl.RunAsync($"rollout status sts/redis-cluster -n {ns} --timeout=240s", timeoutSeconds: 250)).ShouldSucceed();

        var primary = (await kubectl.RunAsync($"exec redis-cluster-0 -n {ns} -c redis -- cat /etc/redis/redis.conf")).ShouldSucceed().Stdout;
        var replica = (await kubectl.RunAsync($"exec redis-cluster-4 -n {ns} -c redis -- cat /etc/redis/redis.conf")).ShouldSucceed().Stdout;
        var init = (await kubectl.RunAsync($"get pod redis-cluster-4 -n {ns} -o jsonpath={{.status.initContainerStatuses[0].state.terminated.reason}}"))
            .ShouldSucceed().Stdout;
        var ping = (await kubectl.RunAsync($"exec redis-cluster-4 -n {ns} -c redis -- redis-cli ping")).ShouldSucceed().Stdout;

        Assert.Contains("cluster-enabled yes", primary, StringComparison.Ordinal);
        Assert.DoesNotContain("slaveof", primary, StringComparison.Ordinal);
        Assert.Contains("slaveof redis-cluster-1.redis-cluster 6379", replica, StringComparison.Ordinal);
        Assert.DoesNotContain("cluster-enabled yes", replica, StringComparison.Ordinal);
        Assert.Equal("Completed", init);
        Assert.Equal("PONG", ping.Trim());
    }
}
