using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.ApiServer.Http.Protobuf;

namespace Berth.ApiServer.Tests.Protobuf;

public sealed class KubernetesProtobufTests
{
    // Request bodies captured from kubectl 1.33.1 against berth serve (Content-Type application/vnd.kubernetes.protobuf).
    private const string CreateConfigMap = // kubectl create configmap x --from-literal=a=b
        "6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a017812001a0022002a0032003800420012060a01611201621a002200";

    private const string CreateSecret = // kubectl create secret generic s --from-literal=p=q
        "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a01701201711a001a002200";

    private const string CreateNamespace = // kubectl create namespace team-a
        "6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d6112001a0022002a0032003800420012001a020a001a002200";

    private const string CreateServiceAccount = // kubectl create serviceaccount robot
        "6b3873000a140a027631120e536572766963654163636f756e7412170a150a05726f626f7412001a0022002a003200380042001a002200";

    private static void JsonEqual(string expected, JsonNode actual)
    {
        var e = JsonNode.Parse(expected.Replace('\'', '"'));
        Assert.True(JsonNode.DeepEquals(e, actual), $"expected {e?.ToJsonString()}\n  actual {actual.ToJsonString()}");
    }

    private static ApiException Refused(byte[] body, string kind = "ConfigMap") =>
        Assert.Throws<ApiException>(() => KubernetesProtobuf.Decode(body, kind));

    [Fact]
    public void Kubectl_create_bodies_decode_to_the_objects_kubectl_meant()
    {
        JsonEqual("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x'},'data':{'a':'b'}}",
            KubernetesProtobuf.Decode(Convert.FromHexString(CreateConfigMap), "ConfigMap"));
        JsonEqual("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'data':{'p':'cQ=='}}",
            KubernetesProtobuf.Decode(Convert.FromHexString(CreateSecret), "Secret"));
        JsonEqual("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'team-a'},'spec':{},'status':{}}",
            KubernetesProtobuf.Decode(Convert.FromHexString(CreateNamespace), "Namespace"));
        JsonEqual("{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':'robot'}}",
            KubernetesProtobuf.Decode(Convert.FromHexString(CreateServiceAccount), "ServiceAccount"));
    }

    [Fact]
    public void Object_meta_fields_decode_with_json_s_rules()
    {
        var meta = new ProtoBuilder()
            .String(1, "web").String(3, "prod").Varint(7, 3)
            .Message(8, new ProtoBuilder().Varint(1, 1_700_000_000).Varint(2, 5))
            .Varint(10, 30)
            .MapEntry(11, "app", "web").MapEntry(11, "tier", "front").MapEntry(12, "note", "<&>")
            .Message(13, new ProtoBuilder().String(1, "StatefulSet").String(3, "web").String(4, "u-1").String(5, "apps/v1").Varint(6, 1))
            .String(14, "example.com/keep")
            .Message(17, new ProtoBuilder().String(1, "kubectl-create").String(2, "Update").String(3, "v1")
                .Message(4, new ProtoBuilder().Varint(1, 1_700_000_000)).String(6, "FieldsV1")
                .Message(7, new ProtoBuilder().String(1, """{"f:data":{}}""")));
        var configMap = new ProtoBuilder().Message(1, meta).Message(3, new ProtoBuilder().String(1, "bin").Bytes(2, [0, 1, 2, 255]))
            .Varint(4, 1);

        var decoded = KubernetesProtobuf.Decode(ProtoBuilder.Envelope("v1", "ConfigMap", configMap), "ConfigMap");

        JsonEqual("""
            {'apiVersion':'v1','kind':'ConfigMap',
             'metadata':{'name':'web','namespace':'prod','generation':3,'creationTimestamp':'2023-11-14T22:13:20Z',
              'deletionGracePeriodSeconds':30,'labels':{'app':'web','tier':'front'},'annotations':{'note':'<&>'},
              'ownerReferences':[{'apiVersion':'apps/v1','kind':'StatefulSet','name':'web','uid':'u-1','controller':true}],
              'finalizers':['example.com/keep'],
              'managedFields':[{'manager':'kubectl-create','operation':'Update','apiVersion':'v1','time':'2023-11-14T22:13:20Z',
                'fieldsType':'FieldsV1','fieldsV1':{'f:data':{}}}]},
             'binaryData':{'bin':'AAEC/w=='},'immutable':true}
            """, decoded);
    }

    [Fact]
    public void Secret_string_data_type_and_service_account_references_decode()
    {
        var secret = new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "tls")).String(3, "kubernetes.io/tls")
            .MapEntry(4, "user", "admin").Varint(5, 0);
        var account = new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "robot"))
            .Message(2, new ProtoBuilder().String(1, "Secret").String(3, "token"))
            .Message(3, new ProtoBuilder().String(1, "registry"))
            .Varint(4, 0);

        JsonEqual("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'tls'},'type':'kubernetes.io/tls','stringData':{'user':'admin'},'immutable':false}",
            KubernetesProtobuf.Decode(ProtoBuilder.Envelope("v1", "Secret", secret), "Secret"));
        JsonEqual("""
            {'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':'robot'},'secrets':[{'kind':'Secret','name':'token'}],
             'imagePullSecrets':[{'name':'registry'}],'automountServiceAccountToken':false}
            """, KubernetesProtobuf.Decode(ProtoBuilder.Envelope("v1", "ServiceAccount", account), "ServiceAccount"));
    }

    [Fact]
    public void Delete_options_decode_including_preconditions_and_dry_run()
    {
        var options = new ProtoBuilder().Varint(1, 0).Message(2, new ProtoBuilder().String(1, "u-1").String(2, "42"))
            .String(4, "Foreground").String(5, "All");

        JsonEqual("""
            {'apiVersion':'v1','kind':'DeleteOptions','gracePeriodSeconds':0,'preconditions':{'uid':'u-1','resourceVersion':'42'},
             'propagationPolicy':'Foreground','dryRun':['All']}
            """, KubernetesProtobuf.Decode(ProtoBuilder.Envelope("v1", "DeleteOptions", options), "DeleteOptions"));
    }

    [Fact]
    public void Unknown_fields_are_skipped_as_upstream_skips_them()
    {
        var configMap = new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "x").Varint(99, 7))
            .Varint(50, 1).Raw([0xA9, 0x03, 1, 2, 3, 4, 5, 6, 7, 8]) // field 53, fixed64
            .Raw([0xAD, 0x03, 1, 2, 3, 4]) // field 53, fixed32
            .Raw([0xB3, 0x03, 0x08, 0x01, 0xB4, 0x03]) // field 54, a group holding a varint
            .MapEntry(2, "a", "b");

        JsonEqual("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x'},'data':{'a':'b'}}",
            KubernetesProtobuf.Decode(ProtoBuilder.Envelope("v1", "ConfigMap", configMap), "ConfigMap"));
    }

    [Fact]
    public void Malformed_bodies_are_bad_requests_with_upstream_wording()
    {
        var valid = Convert.FromHexString(CreateConfigMap);

        var notProtobuf = Refused("""{"kind":"ConfigMap"}"""u8.ToArray());
        Assert.Equal(400, notProtobuf.Code);
        Assert.Equal("the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf "
            + "message, expected prefix [107 56 115 0] ({\"kind\":\"ConfigMap\"})", notProtobuf.Status.Message);

        var truncatedEnvelope = Refused(valid[..10]);
        Assert.Equal(400, truncatedEnvelope.Code);
        Assert.StartsWith("the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (6b3873000a0f0a027631)",
            truncatedEnvelope.Status.Message, StringComparison.Ordinal);

        var truncatedObject = Refused(ProtoBuilder.Envelope("v1", "ConfigMap", new ProtoBuilder().Raw(Convert.FromHexString("0a1b0a01"))));
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: unexpected EOF", truncatedObject.Status.Message);

        var wrongWireType = Refused(ProtoBuilder.Envelope("v1", "ConfigMap", new ProtoBuilder().Varint(1, 5)));
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field ObjectMeta",
            wrongWireType.Status.Message);

        var overflow = Refused(ProtoBuilder.Envelope("v1", "ConfigMap", new ProtoBuilder().Raw([0x20, .. Enumerable.Repeat((byte)0xFF, 11), 0x01])));
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: integer overflow", overflow.Status.Message);

        var illegalTag = Refused(ProtoBuilder.Envelope("v1", "ConfigMap", new ProtoBuilder().Raw([0x02, 0x00])));
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: ConfigMap: illegal tag 0 (wire type 2)",
            illegalTag.Status.Message);

        Assert.Equal("the body of the request was empty", Refused([]).Status.Message);
    }

    [Fact]
    public void A_wrong_wire_type_names_the_field_as_upstream_s_go_struct_does()
    {
        static byte[] SecretReference(int field) =>
            ProtoBuilder.Envelope("v1", "ServiceAccount", new ProtoBuilder().Message(2, new ProtoBuilder().Varint(field, 1)));

        Assert.Equal("ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: proto: wrong wireType = 0 for field UID",
            Refused(SecretReference(4), "ServiceAccount").Status.Message);
        Assert.Equal("ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: proto: wrong wireType = 0 for field APIVersion",
            Refused(SecretReference(5), "ServiceAccount").Status.Message);
    }

    [Fact]
    public void Kinds_it_does_not_decode_keep_the_415()
    {
        var pod = ProtoBuilder.Envelope("v1", "Pod", new ProtoBuilder().Message(1, new ProtoBuilder().String(1, "p")));

        var refused = Refused(pod, "Pod");

        Assert.Equal(415, refused.Code);
        Assert.Equal("UnsupportedMediaType", refused.Status.Reason);
    }

    [Fact]
    public void Random_and_mutated_bodies_are_never_anything_but_a_client_error()
    {
        var random = new Random(20261201);
        string[] kinds = ["ConfigMap", "Secret", "Namespace", "ServiceAccount", "DeleteOptions", "Pod"];
        var seeds = new[] { CreateConfigMap, CreateSecret, CreateNamespace, CreateServiceAccount }.Select(Convert.FromHexString).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var body = seeds[random.Next(seeds.Length)].ToArray();
            switch (random.Next(4))
            {
                case 0:
                    body[random.Next(body.Length)] = (byte)random.Next(256);
                    break;
                case 1:
                    body = body[..random.Next(body.Length)];
                    break;
                case 2:
                    var extra = new byte[random.Next(1, 40)];
                    random.NextBytes(extra);
                    body = [.. body[..random.Next(4, body.Length)], .. extra];
                    break;
                default:
                    for (var j = 0; j < 4; j++)
                    {
                        body[4 + random.Next(body.Length - 4)] = (byte)random.Next(256);
                    }

                    break;
            }

            try
            {
                var decoded = KubernetesProtobuf.Decode(body, kinds[random.Next(kinds.Length)]);
                Assert.NotNull(decoded["kind"]);
            }
            catch (ApiException e) when (e.Code is 400 or 415)
            {
            }
        }
    }
}
