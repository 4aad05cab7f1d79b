using System.Text.Json.Nodes;
using Berth.Serialization.Patching.Apply;
using k8s.Models;

namespace Berth.Serialization.Tests.Patching;

/// <summary>
/// managedFields of non-apply writes (upstream fieldmanager: Update operations, the client-side apply upgrade, the
/// scale subresource, resets, caps) as the API server records them on every create, update and patch.
/// </summary>
public sealed class ManagedFieldsTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime T1 = T0.AddMinutes(5);
    private static readonly DateTime T2 = T0.AddMinutes(10);

    private static JsonObject Manifest(int replicas = 3, string extraContainer = "") => (JsonObject)JsonAssert.Parse(
        "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'web','namespace':'default'},"
        + "'spec':{'replicas':" + replicas + ",'serviceName':'web','selector':{'matchLabels':{'app':'web'}},"
        + "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'nginx','image':'nginx:1.25'" + extraContainer + "}]}}}}")!;

    /// <summary>What `kubectl apply` (client-side) creates: the manifest, its last-applied annotation, the defaults.</summary>
    private static JsonObject CreatedByClientSideApply()
    {
        var manifest = Manifest();
        var created = (JsonObject)manifest.DeepClone();
        created["metadata"]!["annotations"] = new JsonObject
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = manifest.ToJsonString(),
        };
        created["spec"]!["revisionHistoryLimit"] = 10;
        created["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"] = "IfNotPresent";
        var recorded = (JsonObject)ServerSideApply.RecordUpdate(null, created, "kubectl-client-side-apply", typeof(V1StatefulSet), T0);
        recorded["metadata"]!["uid"] = "u-1";
        return recorded;
    }

    private static List<string?> Managers(JsonNode obj) =>
        obj["metadata"]?["managedFields"]?.AsArray().Select(e => (string?)e!["manager"]).ToList() ?? [];

    [Fact]
    public void Kubectl_server_side_apply_takes_over_what_its_client_side_apply_set_when_the_live_value_still_matches()
    {
        var live = CreatedByClientSideApply();

        var (merged, conflicts) = ServerSideApply.Apply(live, Manifest(replicas: 5), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Empty(conflicts);
        Assert.Equal(5, (int?)merged["spec"]!["replicas"]);
        var entries = merged["metadata"]!["managedFields"]!.AsArray();
        Assert.NotNull(entries.Single(e => (string?)e!["manager"] == "kubectl")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(entries.Single(e => (string?)e!["manager"] == "kubectl-client-side-apply")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        // upstream lastAppliedUpdater: the annotation follows what kubectl applied, keys sorted as Go writes them.
        var annotation = (string?)merged["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"];
        Assert.StartsWith("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":5,",
            annotation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_defaulted_field_the_client_side_apply_owns_is_a_conflict_with_the_upstream_message()
    {
        var live = CreatedByClientSideApply();

        var result = ServerSideApply.Apply(live, Manifest(extraContainer: ",'imagePullPolicy':'Always'"), "kubectl", false,
            typeof(V1StatefulSet), T1);

        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: "
            + ".spec.template.spec.containers[name=\"nginx\"].imagePullPolicy", result.ConflictMessage);
        var forced = ServerSideApply.Apply(live, Manifest(extraContainer: ",'imagePullPolicy':'Always'"), "kubectl", true, typeof(V1StatefulSet), T1);
        Assert.Empty(forced.Conflicts);
        Assert.Equal("Always", (string?)forced.Merged["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]);
    }

    [Fact]
    public void Only_kubectl_gets_the_client_side_apply_allowance()
    {
        var live = CreatedByClientSideApply();

        var result = ServerSideApply.Apply(live, Manifest(replicas: 5), "my-operator", false, typeof(V1StatefulSet), T1);

        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas", result.ConflictMessage);
    }

    [Fact]
    public void A_value_changed_since_the_client_side_apply_is_not_covered_by_its_annotation()
    {
        var live = CreatedByClientSideApply();
        var edited = (JsonObject)live.DeepClone();
        edited["spec"]!["replicas"] = 4;
        var patched = (JsonObject)ServerSideApply.RecordUpdate(live, edited, "kubectl-client-side-apply", typeof(V1StatefulSet), T1);
        // The annotation still says 3: the live 4 is not what the client-side apply applied.
        var result = ServerSideApply.Apply(patched, Manifest(replicas: 5), "kubectl", false, typeof(V1StatefulSet), T2);

        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas", result.ConflictMessage);
    }

    [Fact]
    public void A_scale_is_recorded_under_the_scale_subresource_and_conflicts_with_the_next_apply()
    {
        var applied = (JsonObject)ServerSideApply.Apply(null, Manifest(replicas: 2), "kubectl", false, typeof(V1StatefulSet), T0).Merged;
        var scaled = (JsonObject)applied.DeepClone();
        scaled["spec"]!["replicas"] = 4;

        var recorded = ServerSideApply.RecordUpdate(applied, scaled, "kubectl", typeof(V1StatefulSet), T1, subresource: "scale");
        var result = ServerSideApply.Apply(recorded, Manifest(replicas: 2), "kubectl", false, typeof(V1StatefulSet), T2);

        var scaleEntry = recorded["metadata"]!["managedFields"]!.AsArray().Single(e => (string?)e!["subresource"] == "scale")!;
        Assert.Equal("Update", (string?)scaleEntry["operation"]);
        JsonAssert.Equal("{'f:spec':{'f:replicas':{}}}", scaleEntry["fieldsV1"]);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas",
            result.ConflictMessage);
    }

    [Fact]
    public void A_list_holding_one_empty_entry_strips_managed_fields()
    {
        var live = CreatedByClientSideApply();
        var reset = (JsonObject)live.DeepClone();
        reset["metadata"]!["managedFields"] = JsonAssert.Parse("[{}]");

        var recorded = ServerSideApply.RecordUpdate(live, reset, "kubectl-edit", typeof(V1StatefulSet), T1);

        Assert.Null(recorded["metadata"]!["managedFields"]);
    }

    [Fact]
    public void Managed_fields_that_do_not_decode_give_way_to_the_live_ones()
    {
        var live = CreatedByClientSideApply();
        foreach (var garbage in (string[])["[{'manager':1,'operation':'Update','apiVersion':'apps/v1','fieldsType':'FieldsV1'}]",
                     "[{'manager':'x','operation':'Delete','apiVersion':'apps/v1','fieldsType':'FieldsV1'}]",
                     "[{'manager':'x','operation':'Update','apiVersion':'apps/v1','fieldsType':'FieldsV2'}]", "'not a list'", "[7]"])
        {
            var edited = (JsonObject)live.DeepClone();
            edited["metadata"]!["managedFields"] = JsonAssert.Parse(garbage);
            edited["spec"]!["replicas"] = 4;

            var recorded = ServerSideApply.RecordUpdate(live, edited, "kubectl-edit", typeof(V1StatefulSet), T1);

            Assert.Equal(["kubectl-client-side-apply", "kubectl-edit"], Managers(recorded));
        }
    }

    [Fact]
    public void An_object_that_is_not_a_field_set_records_no_managed_fields_instead_of_failing_the_write()
    {
        var manifest = Manifest();
        manifest["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("name");

        var recorded = ServerSideApply.RecordUpdate(null, manifest, "kubectl-create", typeof(V1StatefulSet), T0);

        Assert.Null(recorded["metadata"]!["managedFields"]);
    }

    [Fact]
    public void More_than_ten_update_managers_are_merged_into_ancient_changes_oldest_first()
    {
        JsonNode current = ServerSideApply.RecordUpdate(null, Manifest(), "creator", typeof(V1StatefulSet), T0);
        for (var i = 1; i <= 11; i++)
        {
            var next = current.DeepClone();
            var labels = next["metadata"]!["labels"] as JsonObject ?? [];
            labels["writer" + i] = "x";
            next["metadata"]!["labels"] = labels;
            current = ServerSideApply.RecordUpdate(current, next, "writer-" + i, typeof(V1StatefulSet), T0.AddMinutes(i));
        }

        var managers = Managers(current);

        Assert.Equal(10, managers.Count);
        Assert.Contains("ancient-changes", managers);
        Assert.DoesNotContain("creator", managers);
        Assert.Contains("writer-11", managers);
    }

    [Fact]
    public void A_write_that_changes_nothing_keeps_managed_fields_as_they_were()
    {
        var live = CreatedByClientSideApply();

        var recorded = ServerSideApply.RecordUpdate(live, live.DeepClone(), "kubectl-edit", typeof(V1StatefulSet), T1);

        Assert.True(JsonNode.DeepEquals(live, recorded));
    }

    [Fact]
    public void Create_entries_match_the_tree_that_record_update_writes()
    {
        var tree = Manifest();

        var entries = ServerSideApply.RecordUpdateEntries(null, tree, "kubectl-create", typeof(V1StatefulSet), T0.AddTicks(1234567))!;
        var written = ServerSideApply.RecordUpdate(null, tree, "kubectl-create", typeof(V1StatefulSet), T0.AddTicks(1234567));

        var entry = Assert.Single(entries);
        var asJson = JsonNode.Parse(k8s.KubernetesJson.Serialize(entry))!;
        Assert.Equal(written["metadata"]!["managedFields"]![0]!["fieldsV1"]!.ToJsonString(), JsonNode.Parse(
            System.Text.Encoding.UTF8.GetString(((RawJson)entry.FieldsV1).Utf8.Span))!.ToJsonString());
        Assert.Equal("kubectl-create", (string?)asJson["manager"]);
        Assert.Equal(T0, entry.Time);
        Assert.Null(tree["metadata"]!["managedFields"]);
    }
}
