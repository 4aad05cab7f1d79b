using System.Text.Json.Nodes;
using Berth.ApiServer.Admission;
using k8s.Models;

namespace Berth.ApiServer.Tests.Admission;

public sealed class StatefulSetValidationTests
{
    private static V1StatefulSet Mutated(Action<JsonNode> mutate)
    {
        var node = JsonNode.Parse(Manifests.StatefulSet)!;
        mutate(node);
        return Manifests.Decode<V1StatefulSet>(node.ToJsonString());
    }

    [Fact]
    public void A_typical_statefulset_is_valid() =>
        Assert.Empty(ObjectValidator.ValidateCreate(Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet)));

    public static TheoryData<string, string> InvalidCases => new()
    {
        { """{"spec":{"replicas":-1}}""", "spec.replicas: Invalid value: -1: must be greater than or equal to 0" },
        { """{"spec":{"selector":{"matchLabels":{"app":"other"}}}}""",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`" },
        { """{"spec":{"podManagementPolicy":"Random"}}""", "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'" },
        { """{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":{"partition":1}}}}""",
            "spec.updateStrategy.rollingUpdate: Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:<nil>}: only allowed for updateStrategy 'RollingUpdate'" },
        { """{"spec":{"updateStrategy":{"type":"Sometimes"}}}""", "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Sometimes\"}: must be 'RollingUpdate' or 'OnDelete'" },
        { """{"spec":{"updateStrategy":{"rollingUpdate":{"partition":-2}}}}""",
            "spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0" },
        { """{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":0}}}}""",
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: cannot be 0" },
        { """{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}}""",
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%" },
        { """{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Keep"}}}""",
            "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\"" },
        { """{"spec":{"ordinals":{"start":-1}}}""", "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0" },
        { """{"spec":{"minReadySeconds":-5}}""", "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0" },
        { """{"spec":{"template":{"spec":{"restartPolicy":"Never"}}}}""",
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"" },
        { """{"spec":{"template":{"spec":{"activeDeadlineSeconds":10}}}}""",
            "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported" },
        { """{"metadata":{"name":"web.example"}}""", "metadata.name: Invalid value: \"web.example\": must not contain dots" },
        { """{"spec":{"serviceName":"Web_Svc"}}""", "spec.serviceName: Invalid value: \"Web_Svc\": a lowercase RFC 1123 label must consist of" },
        { """{"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}]}}""",
            "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required" },
        { """{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx","volumeMounts":[{"name":"missing","mountPath":"/x"}]}]}}}}""",
            "spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"missing\"" },
        { """{"spec":{"template":{"spec":{"containers":[{"name":"Nginx","image":"nginx"}]}}}}""",
            "spec.template.spec.containers[0].name: Invalid value: \"Nginx\": a lowercase RFC 1123 label must consist of" },
        { """{"spec":{"template":{"spec":{"containers":[{"name":"nginx"}]}}}}""", "spec.template.spec.containers[0].image: Required value" },
        { """{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":70000}]}]}}}}""",
            "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive" },
        { """{"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"Within","values":["web"]}]}}}""",
            "spec.selector.matchExpressions[0].operator: Invalid value: \"Within\": not a valid selector operator" },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_statefulsets_get_upstream_messages(string patch, string expected)
    {
        var set = Mutated(node => Merge(node, JsonNode.Parse(patch)!));

        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(set));

        Assert.Contains(messages, m => m.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_selector_is_required()
    {
        var set = Mutated(node => node["spec"]!.AsObject().Remove("selector"));

        Assert.Contains("spec.selector: Required value", Manifests.Messages(ObjectValidator.ValidateCreate(set)));
    }

    [Fact]
    public void Empty_selector_is_invalid_for_statefulset()
    {
        var set = Mutated(node => node["spec"]!["selector"] = new JsonObject());

        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateCreate(set)), m => m.EndsWith("empty selector is invalid for statefulset", StringComparison.Ordinal));
    }

    [Fact]
    public void Update_of_replicas_template_and_strategy_is_allowed()
    {
        var old = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        var updated = Mutated(node =>
        {
            node["spec"]!["replicas"] = 5;
            node["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:1.28";
            node["spec"]!["updateStrategy"] = JsonNode.Parse("""{"type":"OnDelete"}""");
            node["spec"]!["minReadySeconds"] = 3;
        });

        Assert.Empty(ObjectValidator.ValidateUpdate(updated, old));
    }

    [Theory]
    [InlineData("""{"spec":{"serviceName":"other"}}""")]
    [InlineData("""{"spec":{"podManagementPolicy":"Parallel"}}""")]
    [InlineData("""{"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}]}}""")]
    public void Update_of_other_spec_fields_is_forbidden_with_the_upstream_message(string patch)
    {
        var old = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        var updated = Mutated(node => Merge(node, JsonNode.Parse(patch)!));

        var messages = Manifests.Messages(ObjectValidator.ValidateUpdate(updated, old));

        Assert.Equal(
            ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
             "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"],
            messages);
    }

    [Fact]
    public void Update_may_not_change_the_name()
    {
        var old = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        var updated = Mutated(node => node["metadata"]!["name"] = "web2");

        Assert.Contains("metadata.name: Invalid value: \"web2\": field is immutable", Manifests.Messages(ObjectValidator.ValidateUpdate(updated, old)));
    }

    [Fact]
    public void Status_counts_may_not_exceed_replicas()
    {
        var old = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        var updated = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        updated.Status = new V1StatefulSetStatus { Replicas = 1, ReadyReplicas = 2, AvailableReplicas = 2 };

        var messages = Manifests.Messages(ObjectValidator.ValidateStatusUpdate(updated, old));

        Assert.Contains("status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas", messages);
        Assert.Contains("status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas", messages);
    }

    [Fact]
    public void Update_may_omit_uid_and_creation_timestamp_but_not_change_them()
    {
        var old = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        old.Metadata.Uid = "u-1";
        old.Metadata.CreationTimestamp = new DateTime(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);
        var omitted = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        Assert.Empty(ObjectValidator.ValidateUpdate(omitted, old));

        var changed = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        changed.Metadata.Uid = "u-2";
        changed.Metadata.CreationTimestamp = new DateTime(2026, 11, 23, 19, 0, 0, DateTimeKind.Utc);
        var messages = Manifests.Messages(ObjectValidator.ValidateUpdate(changed, old));
        Assert.Contains("metadata.uid: Invalid value: \"u-2\": field is immutable", messages);
        Assert.Contains("metadata.creationTimestamp: Invalid value: 2026-11-23 19:00:00 +0000 UTC: field is immutable", messages);
    }

    // A JSON merge patch (RFC 7386), enough for building test variants.
    internal static void Merge(JsonNode target, JsonNode patch)
    {
        foreach (var (key, value) in patch.AsObject().ToList())
        {
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }
}
