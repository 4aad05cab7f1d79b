using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core;
using Berth.Serialization.Patching;
using Berth.Serialization.Patching.Apply;
using FsCheck;
using FsCheck.Fluent;
using k8s.Models;

namespace Berth.Serialization.Tests.Patching;

/// <summary>
/// The create path's managedFields (<see cref="ServerSideApply.TryRecordCreateEntries"/>, one reader pass over the model's
/// JSON) against the general one the API server used before (<see cref="ServerSideApply.RecordUpdateEntries"/> on the
/// encoded tree): the same entries, fieldsV1 byte for byte, for objects of every served kind.
/// </summary>
public sealed class CreateManagedFieldsTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    /// <summary>Keys and strings that need escaping, sort differently in UTF-16 and UTF-8, or look like path elements.</summary>
    private static readonly string[] OddStrings =
    [
        "app", "web", "x/y", "k8s.io/name", "a.b-c_d", "", ".", "f:x", "k:{}", "<&>", "\"q\"", "it's", "\t\\", "é\u2028", "\ud83d\ude00", "\ue000",
        "TCP", "UDP", "nginx:1.25",
    ];

    private static readonly string[] ItemNames = ["a", "b", "web", "\ud83d\ude00"];

    private static string? Old(object model, Type type, string apiVersion, string manager)
    {
        var tree = BerthJson.SerializeToNode(model, type)!.AsObject();
        tree["apiVersion"] = apiVersion;
        tree["kind"] = type.Name;
        return Print(ServerSideApply.RecordUpdateEntries(null, tree, manager, type, Now));
    }

    private static string? Print(IList<V1ManagedFieldsEntry>? entries) =>
        entries is null ? null : JsonSerializer.Serialize(entries, BerthJson.Options.GetTypeInfo(typeof(IList<V1ManagedFieldsEntry>)));

    /// <summary>Both paths on <paramref name="json"/> decoded as <paramref name="type"/>; false when the fast path declined.</summary>
    private static bool AssertSame(Type type, string json)
    {
        var model = BerthJson.Deserialize(JsonNode.Parse(json)!, type)!;
        var old = Old(model, type, "v1", "creator");
        if (!ServerSideApply.TryRecordCreateEntries(model, type, "v1", "creator", Now, out var entries))
        {
            return false;
        }

        Assert.Equal(old, Print(entries));
        return true;
    }

    [Fact]
    public void A_pod_with_containers_ports_env_volumes_and_finalizers_records_the_same_fields_as_the_general_path()
    {
        Assert.True(AssertSame(typeof(V1Pod), """
            {"metadata":{"name":"p","namespace":"default","labels":{"app":"web","x/y":"<&>"},"annotations":{"é":"1"},
             "finalizers":["b","a","a"],"ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web","uid":"u1"}],
             "uid":"x","generation":1,"creationTimestamp":"2026-01-02T03:04:05Z","resourceVersion":"5"},
             "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80},{"containerPort":80,"protocol":"UDP"},
               {"containerPort":53,"protocol":"TCP","name":"dns"}],"env":[{"name":"B","value":"1"},{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"x"}}},
               {"name":"B","value":"2"}],"resources":{"limits":{"cpu":"100m"},"requests":{}},"volumeMounts":[{"name":"d","mountPath":"/d"}],
               "command":["sh","-c"]}],
             "volumes":[{"name":"d","emptyDir":{}},{"name":"s","secret":{"secretName":"s","items":[{"key":"k","path":"p"}]}}],
             "nodeSelector":{},"tolerations":[],"affinity":{"nodeAffinity":{}}},
             "status":{"phase":"Pending"}}
            """));
    }

    [Fact]
    public void A_stateful_set_with_a_template_and_volume_claim_templates_records_the_same_fields_as_the_general_path()
    {
        Assert.True(AssertSame(typeof(V1StatefulSet), """
            {"metadata":{"name":"web"},"spec":{"replicas":3,"serviceName":"web","selector":{"matchLabels":{"app":"web"}},
             "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25",
               "ports":[{"containerPort":80,"name":"web"}]}]}},
             "volumeClaimTemplates":[{"metadata":{"name":"www"},"spec":{"accessModes":["ReadWriteOnce"],
               "resources":{"requests":{"storage":"1Gi"}}}}],"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}}}}
            """));
    }

    [Fact]
    public void A_service_and_an_event_record_the_same_fields_as_the_general_path()
    {
        Assert.True(AssertSame(typeof(V1Service), """
            {"metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":"web"},{"port":53,"protocol":"UDP","targetPort":53}],
             "selector":{"app":"web"},"clusterIPs":["10.0.0.1"]}}
            """));
        Assert.True(AssertSame(typeof(Corev1Event), """
            {"metadata":{"name":"e.1","namespace":"default"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"Scheduled",
             "message":"ok","count":1,"firstTimestamp":"2026-01-02T03:04:05Z","source":{"component":"scheduler"},"type":"Normal"}
            """));
    }

    [Fact]
    public void An_object_with_nothing_ownable_records_no_entry_and_client_managed_fields_take_the_general_path()
    {
        var bare = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", Uid = "u" } };
        Assert.True(ServerSideApply.TryRecordCreateEntries(bare, typeof(V1ConfigMap), "v1", "m", Now, out var none));
        Assert.Null(none);
        Assert.Null(Old(bare, typeof(V1ConfigMap), "v1", "m"));

        var sent = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "c", ManagedFields = [new V1ManagedFieldsEntry()] },
            Data = new Dictionary<string, string> { ["a"] = "b" },
        };
        Assert.False(ServerSideApply.TryRecordCreateEntries(sent, typeof(V1ConfigMap), "v1", "m", Now, out _));
    }

    [Fact]
    public void A_list_item_without_its_key_field_takes_the_general_path()
    {
        var model = BerthJson.Deserialize(JsonNode.Parse("""{"metadata":{"name":"p"},"spec":{"containers":[{"image":"x"}]}}""")!, typeof(V1Pod))!;
        Assert.False(ServerSideApply.TryRecordCreateEntries(model, typeof(V1Pod), "v1", "m", Now, out _));
    }

    [Fact]
    public void Generated_objects_of_every_served_kind_record_the_same_fields_as_the_general_path()
    {
        var types = ResourceCatalog.All.Select(r => r.ModelType).Distinct().ToArray();
        var compared = 0;
        var cases = Gen.Elements(types).Zip(Gen.Choose(0, int.MaxValue));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (type, seed) = c;
            var json = new ModelJson(new Random(seed)).Object(type, 0).ToJsonString();
            object model;
            try
            {
                model = BerthJson.Deserialize(JsonNode.Parse(json)!, type)!;
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
            {
                return true;
            }

            var old = Old(model, type, "v1", "creator");
            if (ServerSideApply.TryRecordCreateEntries(model, type, "v1", "creator", Now, out var entries))
            {
                compared++;
                Assert.True(old == Print(entries), $"{type.Name} seed {seed}:\n{json}\nold: {old}\nnew: {Print(entries)}");
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(600));
        Assert.True(compared > 300, $"only {compared} generated objects took the create path");
    }

    /// <summary>Random JSON shaped by a model type's fields (<see cref="PatchMetadata"/>): structs with some of their fields,
    /// maps with odd keys, lists of zero to three items (map-list items mostly carry their keys, from few names, so keys
    /// repeat), empty objects and lists, and nulls.</summary>
    private sealed class ModelJson(Random random)
    {
        public JsonObject Object(Type type, int depth)
        {
            var obj = new JsonObject();
            foreach (var (name, field) in PatchMetadata.For(type))
            {
                if (name is "apiVersion" or "kind" || random.NextDouble() > (depth == 0 ? 0.9 : depth < 4 ? 0.4 : 0.1))
                {
                    continue;
                }

                if (random.Next(30) == 0)
                {
                    obj[name] = null;
                    continue;
                }

                var value = Field(field, depth);
                if (value is not null)
                {
                    obj[name] = value;
                }
            }

            return obj;
        }

        private JsonNode? Field(FieldPatchInfo field, int depth)
        {
            if (field.IsMap)
            {
                var map = new JsonObject();
                for (var i = random.Next(4); i > 0; i--)
                {
                    map[OddStrings[random.Next(OddStrings.Length)]] = Value(field.ElementType!, depth + 1);
                }

                return map;
            }

            if (field.IsList)
            {
                var list = new JsonArray();
                for (var i = random.Next(4); i > 0; i--)
                {
                    var item = Value(field.ElementType!, depth + 1);
                    if (item is JsonObject o && field.ListType == ListType.Map)
                    {
                        foreach (var key in field.ListMapKeys)
                        {
                            if (random.Next(12) == 0)
                            {
                                continue;
                            }

                            o[key] = key switch
                            {
                                "protocol" => random.Next(3) == 0 ? null : JsonValue.Create(random.Next(2) == 0 ? "TCP" : "UDP"),
                                "containerPort" or "port" => JsonValue.Create(random.Next(2) == 0 ? 80 : 53),
                                _ => Value(PatchMetadata.Field(field.ElementType, key)!.ValueType, 9) ?? JsonValue.Create(ItemNames[random.Next(ItemNames.Length)]),
                            };
                            if (o[key] is JsonValue v && v.TryGetValue<string>(out _) && key != "protocol")
                            {
                                o[key] = ItemNames[random.Next(ItemNames.Length)];
                            }
                        }
                    }

                    list.Add(item);
                }

                return list;
            }

            return Value(field.ValueType, depth + 1);
        }

        private JsonNode? Value(Type type, int depth)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (PatchMetadata.For(type).Count > 0)
            {
                return depth > 7 ? new JsonObject() : Object(type, depth);
            }

            return type switch
            {
                _ when type == typeof(string) => OddStrings[random.Next(OddStrings.Length)],
                _ when type == typeof(int) || type == typeof(long) => random.Next(0, 70000),
                _ when type == typeof(bool) => random.Next(2) == 0,
                _ when type == typeof(double) || type == typeof(float) => 0.5,
                _ when type == typeof(DateTime) => "2026-01-02T03:04:05Z",
                _ when type == typeof(IntOrString) => random.Next(2) == 0 ? JsonValue.Create("web") : JsonValue.Create(8080),
                _ when type == typeof(ResourceQuantity) => random.Next(2) == 0 ? "100m" : "1Gi",
                _ when type == typeof(byte[]) => "aGk=",
                _ => null,
            };
        }
    }
}
