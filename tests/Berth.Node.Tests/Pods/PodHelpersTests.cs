using Berth.Node.Pods;
using Berth.Node.Runtime;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using k8s.Models;

namespace Berth.Node.Tests.Pods;

public sealed class PodHelpersTests
{
    [Fact]
    public void Restart_backoff_is_immediate_then_10s_doubling_to_5_minutes()
    {
        var backoff = new RestartBackoff();
        var t = DateTimeOffset.UnixEpoch;
        var waits = Enumerable.Range(0, 9).Select(i => backoff.Next(t.AddSeconds(i)).TotalSeconds).ToList();
        Assert.Equal([0, 10, 20, 40, 80, 160, 300, 300, 300], waits);
    }

    [Fact]
    public void Restart_backoff_starts_over_after_ten_quiet_minutes()
    {
        var backoff = new RestartBackoff();
        var t = DateTimeOffset.UnixEpoch;
        backoff.Next(t);
        backoff.Next(t.AddSeconds(1));
        Assert.Equal(TimeSpan.Zero, backoff.Next(t.AddMinutes(11)));
    }

    [Property]
    public Property Restart_backoff_never_exceeds_the_cap_and_never_shrinks_while_crashing(PositiveInt crashes)
    {
        var backoff = new RestartBackoff();
        var previous = TimeSpan.Zero;
        var ok = true;
        for (var i = 0; i < Math.Min(crashes.Get, 50); i++)
        {
            var next = backoff.Next(DateTimeOffset.UnixEpoch.AddSeconds(i));
            ok &= next >= previous && next <= RestartBackoff.Max;
            previous = next;
        }

        return ok.ToProperty();
    }

    [Theory]
    [InlineData("$(A)-$(B)", "1-2")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$(A", "$(A")]
    [InlineData("cost: $5", "cost: $5")]
    [InlineData("plain", "plain")]
    public void Variable_expansion_follows_kubernetes_rules(string input, string expected)
    {
        var vars = new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" };
        Assert.Equal(expected, VariableExpansion.Expand(input, k => vars.GetValueOrDefault(k)));
    }

    [Theory]
    [InlineData(10, "10s")]
    [InlineData(80, "1m20s")]
    [InlineData(300, "5m0s")]
    [InlineData(3725, "1h2m5s")]
    public void Durations_print_like_go(int seconds, string expected) => Assert.Equal(expected, GoDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_missing_secret_key_is_a_CreateContainerConfigError_unless_optional()
    {
        var pod = TestPods.Pod("p", TestPods.Busybox("main", "true"));
        var c = pod.Spec.Containers[0];
        c.Env = [new V1EnvVar { Name = "PW", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "db", Key = "password" } } }];
        var e = Assert.Throws<ContainerStartException>(() => EnvironmentBuilder.Build(pod, c, "10.88.0.3", null));
        Assert.Equal("CreateContainerConfigError", e.Reason);
        Assert.Equal("couldn't find key password in Secret default/db", e.Message);

        c.Env[0].ValueFrom.SecretKeyRef.Optional = true;
        Assert.Empty(EnvironmentBuilder.Build(pod, c, "10.88.0.3", null));
    }

    [Fact]
    public void Env_resolves_secrets_envFrom_prefixes_and_resource_fields()
    {
        var pod = TestPods.Pod("p", TestPods.Busybox("main", "true"));
        var c = pod.Spec.Containers[0];
        c.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } };
        c.EnvFrom = [new V1EnvFromSource { Prefix = "CFG_", ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" } }];
        c.Env =
        [
            new V1EnvVar { Name = "PW", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "db", Key = "password" } } },
            new V1EnvVar { Name = "MEM", ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = "limits.memory", Divisor = new ResourceQuantity("1Mi") } } },
            new V1EnvVar { Name = "DSN", Value = "user:$(PW)@$(CFG_host)" },
        ];
        var env = EnvironmentBuilder.Build(pod, c, "10.88.0.3", new FakeSources());
        Assert.Equal(
            [new("CFG_host", "db-0"), new("PW", "hunter2"), new("MEM", "64"), new KeyValuePair<string, string>("DSN", "user:hunter2@db-0")],
            env);
    }

    private sealed class FakeSources : IEnvSourceResolver
    {
        public string? ResolveSecretKey(string @namespace, string name, string key) => name == "db" && key == "password" ? "hunter2" : null;

        public string? ResolveConfigMapKey(string @namespace, string name, string key) => null;

        public IReadOnlyDictionary<string, string>? ResolveAll(string @namespace, string kind, string name) =>
            kind == "ConfigMap" && name == "settings" ? new Dictionary<string, string> { ["host"] = "db-0" } : null;
    }
}
