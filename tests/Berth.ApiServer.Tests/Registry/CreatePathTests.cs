using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.ApiServer.Tests.Admission;
using Berth.Core;
using Berth.Storage.Memory;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Berth.ApiServer.Tests.Registry;

/// <summary>
/// A create body comes as bytes: a plain object decodes straight into the model, anything else goes through the JSON
/// tree. Both must answer every body the same way: the same stored object or the same error.
/// </summary>
public sealed partial class CreatePathTests
{
    private const string Namespace = """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"x":"y"}},"status":{"phase":"Terminating"}}""";

    private const string Event = """
        {"apiVersion":"v1","kind":"Event","metadata":{"name":"web-0.1","namespace":"default"},"type":"Normal","reason":"Scheduled",
         "message":"Successfully assigned default/web-0 to node-1","involvedObject":{"kind":"Pod","namespace":"default","name":"web-0"},
         "source":{"component":"default-scheduler"},"count":1,"firstTimestamp":"2026-12-02T03:00:00Z","lastTimestamp":"2026-12-02T03:00:00Z"}
        """;

    private const string GuaranteedPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"db-","namespace":"default","uid":"sent","resourceVersion":"",
          "creationTimestamp":"2020-01-01T00:00:00Z","deletionTimestamp":"2020-01-01T00:00:00Z","annotations":{"a/b":"<&>"}},
         "spec":{"containers":[{"name":"db","image":"postgres:16","resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1000m","memory":"1Gi"}},
           "env":[{"name":"PGDATA","value":"/var/lib/postgresql/data/pgdata"}]}]},"status":{"phase":"Running"}}
        """;

    private const string StatefulSetWithStatus = """
        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis","namespace":"default"},
         "spec":{"serviceName":"redis","replicas":2,"selector":{"matchLabels":{"app":"redis"}},
          "template":{"metadata":{"labels":{"app":"redis"}},"spec":{"containers":[{"name":"redis","image":"redis:7"}]}}},
         "status":{"replicas":5}}
        """;

    public static TheoryData<string, bool> Bodies() => new()
    {
        { Manifests.Pod, true },
        { Manifests.StatefulSet, true },
        { """{"metadata":{"name":"p"},"spec":{}}""", true },
        // Duplicates anywhere: the tree's parser refuses them.
        { """{"kind":"Pod","kind":"Pod","metadata":{"name":"p"}}""", false },
        { """{"metadata":{"name":"p","labels":{"a":"1","a":"2"}}}""", false },
        { """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","name":"d"}]}}""", false },
        { """{"metadata":{"name":"p","annotations":{"x":"{}"}},"spec":{"overhead":{"cpu":"1","cpu":"2"}}}""", false },
        // The same name in sibling objects is no duplicate.
        { """{"metadata":{"name":"p","labels":{"name":"x"}},"spec":{"containers":[{"name":"c"},{"name":"d"}]}}""", true },
        // Unknown fields, at the top and deep down: strict decoding reports them.
        { """{"metadata":{"name":"p"},"bogus":1}""", false },
        { """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":1,"deep":2}]}]}}""", false },
        // A map's keys are free: any label key is known.
        { """{"metadata":{"name":"p","labels":{"bogus":"1","app.kubernetes.io/name":"x"}}}""", true },
        // An escaped property name is left to the tree.
        { """{"metadata":{"n\u0061me":"p"}}""", false },
        // Not one object.
        { "", false },
        { "[]", false },
        { "\"pod\"", false },
        { """{"metadata":{"name":"p"}} {}""", false },
        { """{"metadata":{"name":"p"}""", false },
        { """{"metadata":{"name":"p"},}""", false },
        { """{"metadata":{"name":"p"}} // comment""", false },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Only_bodies_the_tree_path_would_accept_unchanged_are_plain(string body, bool plain)
    {
        var type = body.Contains("StatefulSet", StringComparison.Ordinal) ? typeof(V1StatefulSet) : typeof(V1Pod);

        Assert.Equal(plain, ModelCodec.IsPlainObject(type, Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void Invalid_utf8_and_objects_with_very_many_properties_are_not_plain()
    {
        byte[] invalid = [.. "{\"metadata\":{\"name\":\""u8, 0xff, .. "\"}}"u8];
        Assert.False(ModelCodec.IsPlainObject(typeof(V1Pod), invalid));
        var labels = string.Join(",", Enumerable.Range(0, 500).Select(i => $"\"k{i}\":\"v\""));
        Assert.False(ModelCodec.IsPlainObject(typeof(V1Pod), Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\"p\",\"labels\":{" + labels + "}}}")));
    }

    public static TheoryData<string, string, string?> Manifests_of_every_kind() => new()
    {
        { "pods", Manifests.Pod, null },
        { "pods", GuaranteedPod, null },
        { "statefulsets", Manifests.StatefulSet, null },
        { "statefulsets", StatefulSetWithStatus, null },
        { "services", Manifests.Service, null },
        { "persistentvolumeclaims", Manifests.Claim, null },
        { "namespaces", Namespace, null },
        { "events", Event, null },
        { "configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},"data":{"k":"v"}}""", null },
        { "pods", Manifests.Pod, "team-b" },
    };

    [Theory]
    [MemberData(nameof(Manifests_of_every_kind))]
    public async Task A_plain_body_stores_the_same_object_as_the_tree_path(string resourceName, string manifest, string? requestNamespace)
    {
        var (throughBytes, throughTree) = await CreateBothWaysAsync(resourceName, manifest, requestNamespace ?? "default");

        Assert.True(ModelCodec.IsPlainObject(Resource(resourceName).ModelType, Encoding.UTF8.GetBytes(manifest)));
        Assert.Equal(throughTree, throughBytes);
    }

    [Fact]
    public async Task A_pod_gets_its_quality_of_service_class_from_quantities_not_their_spelling()
    {
        var (stored, _) = await CreateBothWaysAsync("pods", GuaranteedPod, "default");

        var status = JsonNode.Parse(stored)!["status"]!;
        Assert.Equal("Guaranteed", (string?)status["qosClass"]);
        Assert.Equal("Pending", (string?)status["phase"]);
    }

    [Property(MaxTest = 300, Replay = "(424242,171717)")]
    public Property Mutated_bodies_get_the_same_answer_through_bytes_and_through_the_tree(int[] choices) =>
        SameAnswer(choices).ToProperty();

    private static bool SameAnswer(int[] choices)
    {
        var (resourceName, manifest) = (choices.Length > 0 ? Math.Abs(choices[0] % 3) : 0) switch
        {
            0 => ("pods", Manifests.Pod),
            1 => ("statefulsets", Manifests.StatefulSet),
            _ => ("pods", GuaranteedPod),
        };
        var body = Mutate(manifest, choices);
        var (a, b) = CreateBothWaysAsync(resourceName, body, "default").GetAwaiter().GetResult();
        return a == b;
    }

    private static readonly string[] InsertedKeys = ["name", "bogus", "labels", "image", "apiVersion", "kind", "metadata", "containers", "namespace", "status"];

    private static readonly string[] InsertedValues = ["\"x\"", "1", "null", "{}", "[]", "true", "\"Pod\"", "{\"a\":\"b\"}"];

    /// <summary>Inserts <c>"key": value,</c> after some opening braces: duplicates, unknown fields, wrong types, or nothing odd at all.</summary>
    private static string Mutate(string manifest, int[] choices)
    {
        var text = manifest;
        foreach (var choice in choices.Skip(1).Take(3))
        {
            var braces = Regex.Matches(text, "\\{").Select(m => m.Index).ToList();
            var at = braces[Math.Abs(choice) % braces.Count] + 1;
            var key = InsertedKeys[Math.Abs(choice / 7) % InsertedKeys.Length];
            var value = InsertedValues[Math.Abs(choice / 70) % InsertedValues.Length];
            var closes = text[at..].TrimStart().StartsWith('}');
            text = text[..at] + $"\"{key}\":{value}" + (closes ? "" : ",") + text[at..];
        }

        return text;
    }

    private static ResourceDescriptor Resource(string name) =>
        ResourceCatalog.Find(name == "statefulsets" ? "apps" : "", "v1", name)!;

    /// <summary>
    /// The body created once as bytes and once as a JSON tree, each in a fresh registry at the same instant: the stored
    /// JSON (uid and generated name made comparable) or the error each answered with.
    /// </summary>
    private static async Task<(string Bytes, string Tree)> CreateBothWaysAsync(string resourceName, string body, string ns)
    {
        var resource = Resource(resourceName);
        var bytesResult = await AnswerAsync(async registry =>
            (await registry.CreateAsync(resource, resource.Namespaced ? ns : null, Encoding.UTF8.GetBytes(body), new WriteOptions(),
                CancellationToken.None)).Value);
        var treeResult = await AnswerAsync(async registry =>
            (await registry.CreateAsync(resource, resource.Namespaced ? ns : null, RequestBody.ParseJsonObject(Encoding.UTF8.GetBytes(body), resource.Kind),
                new WriteOptions(), CancellationToken.None)).Value);
        return (bytesResult, treeResult);
    }

    private static async Task<string> AnswerAsync(Func<ObjectRegistry, Task<ReadOnlyMemory<byte>>> create)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 3, 0, 0, 250, TimeSpan.Zero));
        var registry = new ObjectRegistry(new MemoryStore(), time, false);
        await registry.EnsureSystemNamespacesAsync(CancellationToken.None);
        try
        {
            var stored = Encoding.UTF8.GetString((await create(registry)).Span);
            return GeneratedName().Replace(Uid().Replace(stored, "\"uid\":\"UID\""), "\"name\":\"db-GEN\"");
        }
        catch (ApiException e)
        {
            return e.Status.Code + " " + e.Status.Message;
        }
    }

    [GeneratedRegex("\"uid\":\"[0-9a-f-]{36}\"")]
    private static partial Regex Uid();

    [GeneratedRegex("\"name\":\"db-[a-z0-9]{5}\"")]
    private static partial Regex GeneratedName();
}
