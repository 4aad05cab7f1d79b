using System.Text.Json.Nodes;
using Berth.ApiServer.Admission;
using k8s.Models;

namespace Berth.ApiServer.Tests.Admission;

public sealed class ObjectValidationTests
{
    private static T Mutated<T>(string manifest, string patch)
        where T : class
    {
        var node = JsonNode.Parse(manifest)!;
        StatefulSetValidationTests.Merge(node, JsonNode.Parse(patch)!);
        return Manifests.Decode<T>(node.ToJsonString());
    }

    [Fact]
    public void Kubectl_run_pod_is_valid() => Assert.Empty(ObjectValidator.ValidateCreate(Manifests.Decode<V1Pod>(Manifests.Pod)));

    public static TheoryData<string, string> InvalidPods => new()
    {
        { """{"spec":{"containers":[]}}""", "spec.containers: Required value" },
        { """{"metadata":{"name":"Debug"}}""", "metadata.name: Invalid value: \"Debug\": a lowercase RFC 1123 subdomain must consist of" },
        { """{"metadata":{"name":null}}""", "metadata.name: Required value: name or generateName is required" },
        { """{"metadata":{"labels":{"run":"has space"}}}""", "metadata.labels: Invalid value: \"has space\": a valid label must be an empty string" },
        { """{"metadata":{"labels":{"-bad":"x"}}}""", "metadata.labels: Invalid value: \"-bad\": name part must consist of" },
        { """{"metadata":{"annotations":{"a/b/c":"x"}}}""", "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of" },
        { """{"spec":{"restartPolicy":"Sometimes"}}""",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"" },
        { """{"spec":{"dnsPolicy":"Google"}}""",
            "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"" },
        { """{"spec":{"containers":[{"name":"a","image":" busybox"}]}}""",
            "spec.containers[0].image: Invalid value: \" busybox\": must not have leading or trailing whitespace" },
        { """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"a","image":"y"}]}}""", "spec.containers[1].name: Duplicate value: \"a\"" },
        { """{"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"protocol":"HTTP"}]}]}}""",
            "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"" },
        { """{"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"A=B","value":"1"}]}]}}""",
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='" },
        { """{"spec":{"containers":[{"name":"a","image":"x","readinessProbe":{"periodSeconds":5}}]}}""",
            "spec.containers[0].readinessProbe: Required value: must specify a handler type" },
        { """{"spec":{"containers":[{"name":"a","image":"x","livenessProbe":{"exec":{"command":["true"]},"successThreshold":2}}]}}""",
            "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" },
        { """{"spec":{"containers":[{"name":"a","image":"x","readinessProbe":{"httpGet":{"port":"web--x"}}}]}}""",
            "spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"web--x\": must not contain consecutive hyphens" },
        { """{"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2"}}}]}}""",
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 1" },
        { """{"spec":{"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":""}}]}}""", "spec.volumes[0].persistentVolumeClaim.claimName: Required value" },
        { """{"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"v","emptyDir":{}}]}}""", "spec.volumes[1].name: Duplicate value: \"v\"" },
    };

    [Theory]
    [MemberData(nameof(InvalidPods))]
    public void Invalid_pods_get_upstream_messages(string patch, string expected) =>
        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateCreate(Mutated<V1Pod>(Manifests.Pod, patch))),
            m => m.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void Pod_update_may_change_the_image_only()
    {
        var old = Manifests.Decode<V1Pod>(Manifests.Pod);
        ObjectDefaulter.AdmitCreate(old);
        var imageOnly = Manifests.Decode<V1Pod>(Manifests.Pod);
        ObjectDefaulter.AdmitCreate(imageOnly);
        imageOnly.Spec.Containers[0].Image = "busybox:1.37";
        Assert.Empty(ObjectValidator.ValidateUpdate(imageOnly, old));

        var portAdded = SemanticEquality.Clone(imageOnly);
        portAdded.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, Protocol = "TCP" }];
        var error = Assert.Single(ObjectValidator.ValidateUpdate(portAdded, old));
        Assert.Equal("spec", error.Field);
        Assert.StartsWith(
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`," +
            "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
            "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n",
            error.ToString(), StringComparison.Ordinal);
        Assert.Contains("containers[0].ports", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_names_must_be_dns1035_labels_and_ports_named_when_several()
    {
        var service = Mutated<V1Service>(Manifests.Service, """{"metadata":{"name":"1web"},"spec":{"ports":[{"port":80},{"port":443}]}}""");

        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(service));

        Assert.Contains(messages, m => m.StartsWith("metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of", StringComparison.Ordinal));
        Assert.Contains("spec.ports[0].name: Required value", messages);
        Assert.Contains("spec.ports[1].name: Required value", messages);
    }

    [Fact]
    public void Headless_service_is_valid_and_cluster_ip_is_immutable()
    {
        var service = Manifests.Decode<V1Service>(Manifests.Service);
        Assert.Empty(ObjectValidator.ValidateCreate(service));

        var old = Mutated<V1Service>(Manifests.Service, """{"spec":{"clusterIP":"10.96.0.10"}}""");
        var changed = Mutated<V1Service>(Manifests.Service, """{"spec":{"clusterIP":"10.96.0.11"}}""");
        Assert.Contains("spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set",
            Manifests.Messages(ObjectValidator.ValidateUpdate(changed, old)));
    }

    [Fact]
    public void Claim_needs_access_modes_and_storage()
    {
        var claim = Mutated<V1PersistentVolumeClaim>(Manifests.Claim, """{"spec":{"accessModes":null,"resources":{"requests":null}}}""");

        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(claim));

        Assert.Contains("spec.accessModes: Required value: at least 1 access mode is required", messages);
        Assert.Contains("spec.resources[storage]: Required value", messages);
    }

    [Fact]
    public void Bound_claim_may_grow_but_not_change_access_modes_or_shrink()
    {
        var old = Manifests.Decode<V1PersistentVolumeClaim>(Manifests.Claim);
        old.Spec.VolumeName = "pv-1";
        old.Status!.Phase = "Bound";
        var grown = SemanticEquality.Clone(old);
        grown.Spec.Resources.Requests["storage"] = new ResourceQuantity("2Gi");
        Assert.Empty(ObjectValidator.ValidateUpdate(grown, old));

        var shrunk = SemanticEquality.Clone(old);
        shrunk.Spec.Resources.Requests["storage"] = new ResourceQuantity("512Mi");
        Assert.Contains("spec.resources.requests.storage: Forbidden: field can not be less than previous value",
            Manifests.Messages(ObjectValidator.ValidateUpdate(shrunk, old)));

        var modes = SemanticEquality.Clone(old);
        modes.Spec.AccessModes = ["ReadWriteMany"];
        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateUpdate(modes, old)),
            m => m.StartsWith("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", StringComparison.Ordinal));
    }

    [Fact]
    public void Persistent_volume_needs_capacity_modes_and_one_source()
    {
        var volume = Manifests.Decode<V1PersistentVolume>("""{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-1"},"spec":{}}""");

        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(volume));

        Assert.Contains("spec.accessModes: Required value: must specify at least 1 access mode", messages);
        Assert.Contains("spec.capacity: Required value", messages);
        Assert.Contains("spec: Required value: must specify a volume type", messages);
    }

    [Fact]
    public void Disruption_budget_may_not_set_both_bounds()
    {
        var budget = Manifests.Decode<V1PodDisruptionBudget>(
            """{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web","namespace":"default"},"spec":{"minAvailable":1,"maxUnavailable":"10%","selector":{"matchLabels":{"app":"web"}}}}""");

        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateCreate(budget)), m => m.EndsWith(": minAvailable and maxUnavailable cannot be both set", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_map_keys_are_checked_and_size_is_limited()
    {
        var map = Manifests.Decode<V1ConfigMap>("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},"data":{"a b":"x","ok.key":"y"}}""");
        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(map));
        Assert.Equal(
            ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
            messages);

        var big = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "big", NamespaceProperty = "default" }, Data = new Dictionary<string, string> { ["k"] = new string('x', 1024 * 1024 + 1) } };
        Assert.Contains(": Too long: may not be more than 1048576 bytes", Manifests.Messages(ObjectValidator.ValidateCreate(big)));
    }

    [Fact]
    public void Tls_secret_needs_its_keys_and_type_is_immutable()
    {
        var secret = Manifests.Decode<V1Secret>("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tls","namespace":"default"},"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}}""");
        Assert.Equal(["data[tls.key]: Required value"], Manifests.Messages(ObjectValidator.ValidateCreate(secret)));

        var opaque = Manifests.Decode<V1Secret>("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tls","namespace":"default"},"data":{"tls.crt":"eA=="}}""");
        Assert.Equal("Opaque", opaque.Type);
        Assert.Contains("type: Invalid value: \"Opaque\": field is immutable", Manifests.Messages(ObjectValidator.ValidateUpdate(opaque, secret)));
    }

    [Fact]
    public void Namespace_names_are_labels_and_cluster_scoped()
    {
        var ns = Manifests.Decode<V1Namespace>("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team.a","namespace":"default"}}""");

        var messages = Manifests.Messages(ObjectValidator.ValidateCreate(ns));

        Assert.Contains("metadata.name: Invalid value: \"team.a\": must not contain dots", messages);
        Assert.Contains("metadata.namespace: Forbidden: not allowed on this type", messages);
    }

    [Fact]
    public void Only_one_owner_reference_may_be_the_controller()
    {
        var pod = Mutated<V1Pod>(Manifests.Pod, """
            {"metadata":{"ownerReferences":[
              {"apiVersion":"apps/v1","kind":"StatefulSet","name":"a","uid":"1","controller":true},
              {"apiVersion":"apps/v1","kind":"StatefulSet","name":"b","uid":"2","controller":true}]}}
            """);

        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateCreate(pod)),
            m => m.EndsWith("Only one reference can have Controller set to true. Found \"true\" in references for StatefulSet/a and StatefulSet/b", StringComparison.Ordinal));
    }

    [Fact]
    public void Huge_quantities_are_compared_without_overflow()
    {
        var pod = Mutated<V1Pod>(Manifests.Pod, """{"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"1e40"},"requests":{"cpu":"2e40"}}}]}}""");

        Assert.Contains(Manifests.Messages(ObjectValidator.ValidateCreate(pod)),
            m => m.StartsWith("spec.containers[0].resources.requests[cpu]: Invalid value:", StringComparison.Ordinal));
    }
}
