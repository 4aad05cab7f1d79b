using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests.Http;

/// <summary>
/// Thousands of random and mutated requests (fixed seed): every answer is a success or a 4xx carrying a
/// Status, never a 5xx, and objects outside the fuzzed namespace are byte-for-byte intact afterwards.
/// </summary>
public sealed class FuzzTests : IClassFixture<InProcessServer>
{
    private const int Requests = 3000;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/yaml", "application/merge-patch+json", "application/json-patch+json",
        "application/strategic-merge-patch+json", "application/apply-patch+yaml", "application/vnd.kubernetes.protobuf", "text/plain", "",
    ];

    private static readonly string[] Paths =
    [
        "/api/v1/namespaces/fuzz/configmaps", "/api/v1/namespaces/fuzz/configmaps/c", "/api/v1/namespaces/fuzz/pods",
        "/api/v1/namespaces/fuzz/pods/p", "/api/v1/namespaces/fuzz/pods/p/status", "/api/v1/namespaces/fuzz/pods/p/eviction",
        "/api/v1/namespaces/fuzz/pods/p/log", "/apis/apps/v1/namespaces/fuzz/statefulsets", "/apis/apps/v1/namespaces/fuzz/statefulsets/s",
        "/apis/apps/v1/namespaces/fuzz/statefulsets/s/scale", "/apis/apps/v1/namespaces/fuzz/statefulsets/s/status",
        "/api/v1/namespaces/fuzz/services/svc", "/api/v1/namespaces/fuzz/events", "/apis/policy/v1/namespaces/fuzz/poddisruptionbudgets",
        "/api/v1/persistentvolumes/pv", "/api/v1/namespaces/fuzz/widgets", "/api/v1/namespaces/fuzz",
        "/api/v1/namespaces/fuzz/configmaps/c/bogus", "/apis/nope/v1/things", "/api/v2/pods", "/openapi/v3/apis/apps/v1",
    ];

    private static readonly string[] Queries =
    [
        "", "?fieldValidation=Strict", "?fieldValidation=Warn", "?fieldValidation=Bogus", "?dryRun=All", "?dryRun=Some", "?limit=-1",
        "?limit=abc", "?limit=1&continue=garbage", "?labelSelector=a%20in%20(", "?labelSelector=a%3Db,c!%3Dd", "?fieldSelector=x%3Dy",
        "?fieldSelector=metadata.name%3Dc", "?resourceVersion=abc", "?resourceVersion=0", "?resourceVersionMatch=Exact",
        "?gracePeriodSeconds=x", "?propagationPolicy=Sideways", "?fieldManager=fuzz&force=true", "?includeObject=Everything",
    ];

    private static readonly string[] Seeds =
    [
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"a":"b"}},"data":{"k":"v"}}""",
        """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n","containers":[{"name":"c","image":"busybox","ports":[{"containerPort":80}]}]}}""",
        """{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"replicas":2,"serviceName":"s","selector":{"matchLabels":{"app":"s"}},"template":{"metadata":{"labels":{"app":"s"}},"spec":{"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"100m"}}}]}}}}""",
        """{"spec":{"replicas":3}}""",
        """[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/x","value":"y"}]""",
        """{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"name":"c","image":"x"}]}}}}""",
        """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"}}""",
        """{"propagationPolicy":"Foreground","gracePeriodSeconds":0,"preconditions":{"uid":"x"}}""",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n",
    ];

    private readonly InProcessServer _s;

    public FuzzTests(InProcessServer server) => _s = server;

    [Fact]
    public async Task Random_and_mutated_requests_get_only_client_errors_with_Status_bodies_and_leave_other_data_intact()
    {
        var ns = """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"NAME"}}""";
        Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces", ns.Replace("NAME", "fuzz", StringComparison.Ordinal))).Code);
        Assert.Equal(201, (await _s.SendAsync("POST", "/api/v1/namespaces", ns.Replace("NAME", "sentinel", StringComparison.Ordinal))).Code);
        var sentinel = await _s.SendAsync("POST", "/apis/apps/v1/namespaces/sentinel/statefulsets", Seeds[2]);
        Assert.Equal(201, sentinel.Code);

        var random = new Random(20261123);
        var failures = new List<string>();
        for (var i = 0; i < Requests && failures.Count < 10; i++)
        {
            var method = Pick(random, Methods);
            var path = Pick(random, Paths) + Pick(random, Queries);
            var contentType = Pick(random, ContentTypes);
            var body = Mutate(random, Pick(random, Seeds));
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method != "GET" || random.Next(10) == 0)
            {
                request.Content = new ByteArrayContent(body);
                if (contentType.Length > 0)
                {
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                }
            }

            if (random.Next(4) == 0)
            {
                request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
            }

            using var response = await _s.Client.SendAsync(request);
            var code = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            // The node agent's subresources answer 503 by design until it runs.
            var agentMissing = code == 503 && path.Contains("/log", StringComparison.Ordinal) && IsStatus(text, code);
            if ((code >= 500 && !agentMissing) || code < 200)
            {
                failures.Add($"{method} {path} [{contentType}] → {code} {text}\nbody: {Encoding.UTF8.GetString(body)}");
                continue;
            }

            if (code >= 400 && !IsStatus(text, code))
            {
                failures.Add($"{method} {path} → {code} without a Status body: {text}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        var after = await _s.SendAsync("GET", "/apis/apps/v1/namespaces/sentinel/statefulsets/s");
        Assert.Equal(sentinel.Body, after.Body);
        var everything = await _s.Store.ListAsync("/registry/", Storage.ListOptions.Default);
        foreach (var item in everything.Items)
        {
            using var doc = JsonDocument.Parse(item.Value);
            Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("metadata").GetProperty("name").ValueKind);
        }
    }

    private static bool IsStatus(string text, int code)
    {
        try
        {
            var node = JsonNode.Parse(text);
            return (string?)node?["kind"] == "Status" && (int?)node?["code"] == code && node?["message"] is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static byte[] Mutate(Random random, string seed)
    {
        var bytes = Encoding.UTF8.GetBytes(seed);
        switch (random.Next(6))
        {
            case 0:
                return bytes;
            case 1:
                // Flip a few bytes.
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 2:
                return bytes[..random.Next(bytes.Length)];
            case 3:
                var noise = new byte[random.Next(64)];
                random.NextBytes(noise);
                return noise;
            default:
                return MutateJson(random, seed) is { } mutated ? Encoding.UTF8.GetBytes(mutated) : bytes;
        }
    }

    /// <summary>Replaces a random node of a JSON seed with a value of a random (often wrong) type.</summary>
    private static string? MutateJson(Random random, string seed)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(seed);
        }
        catch (JsonException)
        {
            return null;
        }

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count < 2)
        {
            return null;
        }

        var target = nodes[1 + random.Next(nodes.Count - 1)];
        JsonNode? replacement = random.Next(8) switch
        {
            0 => null,
            1 => JsonValue.Create(random.Next(-5, 5)),
            2 => JsonValue.Create("x/../" + random.Next()),
            3 => new JsonArray(JsonValue.Create(1), JsonValue.Create("a")),
            4 => new JsonObject { ["bogus"] = true },
            5 => JsonValue.Create(long.MaxValue),
            6 => JsonValue.Create(1.5e300),
            _ => JsonValue.Create(true),
        };
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
            default:
                return null;
        }

        return root!.ToJsonString();
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null)
        {
            return;
        }

        into.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Collect(child, into);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, into);
                }

                break;
            default:
                break;
        }
    }
}
