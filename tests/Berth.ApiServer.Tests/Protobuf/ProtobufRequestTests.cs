using Berth.ApiServer.Tests.Http;

namespace Berth.ApiServer.Tests.Protobuf;

/// <summary>Protobuf request bodies over HTTPS: kubectl 1.32+'s typed creates and DeleteOptions, and bad bodies.</summary>
public sealed class ProtobufRequestTests : IClassFixture<InProcessServer>
{
    private const string Protobuf = "application/vnd.kubernetes.protobuf";

    private readonly InProcessServer _s;

    public ProtobufRequestTests(InProcessServer server) => _s = server;

    private static byte[] ConfigMap(string name, string key = "a", string value = "b") => ProtoBuilder.Envelope("v1", "ConfigMap",
        new ProtoBuilder().Message(1, new ProtoBuilder().String(1, name)).MapEntry(2, key, value));

    [Fact]
    public async Task A_protobuf_create_stores_the_object_and_answers_in_json()
    {
        var created = await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create",
            ConfigMap("pb-config"), Protobuf);
        var secret = await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/secrets", ProtoBuilder.Envelope("v1", "Secret",
            new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "pb-secret")).MapEntry(4, "password", "hunter2")), Protobuf);
        var ns = await _s.SendBytesAsync("POST", "/api/v1/namespaces", ProtoBuilder.Envelope("v1", "Namespace",
            new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "pb-team")).Message(2, new ProtoBuilder())), Protobuf);

        Assert.Equal(201, created.Code);
        Assert.StartsWith("application/json", created.ContentType, StringComparison.Ordinal);
        Assert.Equal("b", (string?)created.Json["data"]!["a"]);
        Assert.Equal("kubectl-create", (string?)created.Json["metadata"]!["managedFields"]![0]!["manager"]);
        Assert.Equal(201, secret.Code);
        Assert.Equal("aHVudGVyMg==", (string?)secret.Json["data"]!["password"]);
        Assert.Null(secret.Json["stringData"]);
        Assert.Equal("Opaque", (string?)secret.Json["type"]);
        Assert.Equal(201, ns.Code);
        Assert.Equal("Active", (string?)ns.Json["status"]!["phase"]);
        Assert.Equal(200, (await _s.SendAsync("GET", "/api/v1/namespaces/default/configmaps/pb-config")).Code);
    }

    [Fact]
    public async Task A_protobuf_delete_options_body_is_honoured()
    {
        await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("pb-delete"), Protobuf);
        var wrongUid = ProtoBuilder.Envelope("v1", "DeleteOptions", new ProtoBuilder().Message(2, new ProtoBuilder().String(1, "not-the-uid")));
        var dryRun = ProtoBuilder.Envelope("v1", "DeleteOptions", new ProtoBuilder().Varint(1, 0).String(5, "All"));

        var refused = await _s.SendBytesAsync("DELETE", "/api/v1/namespaces/default/configmaps/pb-delete", wrongUid, Protobuf);
        var pretended = await _s.SendBytesAsync("DELETE", "/api/v1/namespaces/default/configmaps/pb-delete", dryRun, Protobuf);
        var stillThere = await _s.SendAsync("GET", "/api/v1/namespaces/default/configmaps/pb-delete");
        var deleted = await _s.SendBytesAsync("DELETE", "/api/v1/namespaces/default/configmaps/pb-delete",
            ProtoBuilder.Envelope("v1", "DeleteOptions", new ProtoBuilder().String(4, "Background")), Protobuf);

        Assert.Equal(409, refused.Code);
        Assert.Contains("Precondition failed: UID in precondition: not-the-uid", refused.Message, StringComparison.Ordinal);
        Assert.Equal(200, pretended.Code);
        Assert.Equal(200, stillThere.Code);
        Assert.Equal(200, deleted.Code);
        Assert.Equal(404, (await _s.SendAsync("GET", "/api/v1/namespaces/default/configmaps/pb-delete")).Code);
    }

    [Fact]
    public async Task Other_kinds_get_415_and_broken_bodies_get_400()
    {
        var pod = ProtoBuilder.Envelope("v1", "Pod", new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "p")));

        var unsupported = await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/pods", pod, Protobuf);
        var broken = await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("pb-broken")[..20], Protobuf);
        var mismatched = await _s.SendBytesAsync("POST", "/api/v1/namespaces/default/secrets", ConfigMap("pb-mismatch"), Protobuf);

        Assert.Equal(415, unsupported.Code);
        Assert.Equal("UnsupportedMediaType", unsupported.Reason);
        Assert.Equal(400, broken.Code);
        Assert.Equal("Status", (string?)broken.Json["kind"]);
        Assert.Equal(400, mismatched.Code);
        Assert.Contains("ConfigMap in version \"v1\" cannot be handled as a Secret", mismatched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutated_protobuf_requests_never_get_a_server_error()
    {
        var random = new Random(7);
        string[] paths = ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/secrets", "/api/v1/namespaces",
            "/api/v1/namespaces/default/serviceaccounts", "/api/v1/namespaces/default/configmaps/pb-fuzz"];
        var seed = ConfigMap("pb-fuzz");
        for (var i = 0; i < 400; i++)
        {
            var body = seed.ToArray();
            for (var j = 0; j < 1 + random.Next(3); j++)
            {
                body[4 + random.Next(body.Length - 4)] = (byte)random.Next(256);
            }

            var path = paths[random.Next(paths.Length)];
            var method = path.EndsWith("pb-fuzz", StringComparison.Ordinal) ? (random.Next(2) == 0 ? "PUT" : "DELETE") : "POST";
            var response = await _s.SendBytesAsync(method, path, body, Protobuf);

            Assert.True(response.Code < 500, $"{method} {path} {Convert.ToHexString(body)} -> {response}");
        }
    }
}
