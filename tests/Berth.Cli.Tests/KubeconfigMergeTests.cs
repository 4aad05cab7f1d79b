using Berth.Cli.Up;
using Berth.Serialization;

namespace Berth.Cli.Tests;

public sealed class KubeconfigMergeTests
{
    private const string Berth = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: berth
          cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Q0E=}
        users:
        - name: berth
          user: {token: "0123"}
        contexts:
        - name: berth
          context: {cluster: berth, user: berth, namespace: default}
        current-context: berth
        """;

    [Fact]
    public void Other_entries_are_kept_an_old_berth_entry_is_replaced_and_berth_becomes_current()
    {
        const string existing = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster: {server: "https://prod:6443"}
            - name: berth
              cluster: {server: "https://127.0.0.1:1"}
            users:
            - name: prod
              user: {token: "true"}
            contexts:
            - name: prod
              context: {cluster: prod, user: prod}
            current-context: prod
            """;

        var (yaml, previous) = KubeconfigMerge.Merge(existing, Berth);
        var merged = YamlToJson.ConvertSingle(yaml)!;

        Assert.Equal("prod", previous);
        Assert.Equal("berth", merged["current-context"]!.GetValue<string>());
        Assert.Equal(["prod", "berth"], merged["clusters"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("https://127.0.0.1:6443", merged["clusters"]![1]!["cluster"]!["server"]!.GetValue<string>());
        // A string that looks like a YAML boolean or number stays a string.
        Assert.Equal("true", merged["users"]![0]!["user"]!["token"]!.GetValue<string>());
        Assert.Equal("0123", merged["users"]![1]!["user"]!["token"]!.GetValue<string>());
    }

    [Fact]
    public void With_no_kubeconfig_yet_the_merge_is_berths_alone()
    {
        var (yaml, previous) = KubeconfigMerge.Merge(null, Berth);
        var merged = YamlToJson.ConvertSingle(yaml)!;

        Assert.Null(previous);
        Assert.Equal("Config", merged["kind"]!.GetValue<string>());
        Assert.Single(merged["contexts"]!.AsArray());
    }
}
