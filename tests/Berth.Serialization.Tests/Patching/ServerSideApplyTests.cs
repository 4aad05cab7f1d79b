using System.Text.Json.Nodes;
using Berth.Serialization.Patching;
using Berth.Serialization.Patching.Apply;
using k8s.Models;

namespace Berth.Serialization.Tests.Patching;

public sealed class ServerSideApplyTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime T1 = T0.AddMinutes(5);

    private static JsonNode Manifest(int replicas = 3, string image = "postgres:16", string extraLabel = "") => JsonAssert.Parse(
        "{'apiVersion':'apps/v1','kind':'StatefulSet',"
        + "'metadata':{'name':'pg','namespace':'default','labels':{'app':'pg'" + extraLabel + "}},"
        + "'spec':{'replicas':" + replicas + ",'serviceName':'pg','selector':{'matchLabels':{'app':'pg'}},"
        + "'template':{'metadata':{'labels':{'app':'pg'}},"
        + "'spec':{'containers':[{'name':'postgres','image':'" + image + "','ports':[{'containerPort':5432}]}]}}}}")!;

    private static JsonNode Stored(JsonNode obj)
    {
        // what the registry adds on create; never owned by anyone
        var copy = obj.DeepClone();
        copy["metadata"]!["uid"] = "u-1";
        copy["metadata"]!["resourceVersion"] = "7";
        copy["metadata"]!["creationTimestamp"] = "2026-11-23T17:00:00Z";
        return copy;
    }

    [Fact]
    public void Apply_to_nothing_creates_the_object_with_an_apply_entry_in_upstream_shape()
    {
        var (merged, conflicts) = ServerSideApply.Apply(null, Manifest(), "kubectl", force: false, typeof(V1StatefulSet), T0);

        Assert.Empty(conflicts);
        Assert.Equal(3, (int?)merged["spec"]!["replicas"]);
        var entry = merged["metadata"]!["managedFields"]!.AsArray().Single()!;
        Assert.Equal("kubectl", (string?)entry["manager"]);
        Assert.Equal("Apply", (string?)entry["operation"]);
        Assert.Equal("apps/v1", (string?)entry["apiVersion"]);
        Assert.Equal("FieldsV1", (string?)entry["fieldsType"]);
        Assert.Equal("2026-11-23T18:00:00Z", (string?)entry["time"]);
        JsonAssert.Equal("""
            {'f:metadata':{'f:labels':{'f:app':{}}},
             'f:spec':{'f:replicas':{},'f:selector':{},'f:serviceName':{},
               'f:template':{'f:metadata':{'f:labels':{'f:app':{}}},
                 'f:spec':{'f:containers':{'k:{"name":"postgres"}':{'.':{},'f:image':{},'f:name':{},
                   'f:ports':{'k:{"containerPort":5432,"protocol":"TCP"}':{'.':{},'f:containerPort':{}}}}}}}}}
            """.Replace("\"", "\\\"", StringComparison.Ordinal), entry["fieldsV1"]);
    }

    [Fact]
    public void Reapplying_the_same_manifest_changes_nothing()
    {
        var first = Stored(ServerSideApply.Apply(null, Manifest(), "kubectl", false, typeof(V1StatefulSet), T0).Merged);

        var (merged, conflicts) = ServerSideApply.Apply(first, Manifest(), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Empty(conflicts);
        JsonAssert.Equal(first.ToJsonString().Replace('"', '\''), merged);
    }

    [Fact]
    public void Changing_a_field_another_manager_set_is_a_conflict_with_the_upstream_message()
    {
        var live = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-client-side-apply", typeof(V1StatefulSet), T0));

        var result = ServerSideApply.Apply(live, Manifest(replicas: 5), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas", result.ConflictMessage);
        Assert.Equal("conflict with \"kubectl-client-side-apply\" using apps/v1", result.Conflicts[0].Message);
        Assert.Equal(".spec.replicas", result.Conflicts[0].Field);
        JsonAssert.Equal(live.ToJsonString().Replace('"', '\''), result.Merged);
    }

    [Fact]
    public void Forcing_takes_the_field_from_the_other_manager()
    {
        var live = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-client-side-apply", typeof(V1StatefulSet), T0));

        var (merged, conflicts) = ServerSideApply.Apply(live, Manifest(replicas: 5), "kubectl", true, typeof(V1StatefulSet), T1);

        Assert.Empty(conflicts);
        Assert.Equal(5, (int?)merged["spec"]!["replicas"]);
        var entries = merged["metadata"]!["managedFields"]!.AsArray();
        Assert.Equal(["Apply", "Update"], entries.Select(e => (string?)e!["operation"]));
        Assert.NotNull(entries[0]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(entries[1]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.NotNull(entries[1]!["fieldsV1"]!["f:spec"]!["f:serviceName"]);
    }

    [Fact]
    public void Two_conflicts_are_listed_per_manager()
    {
        var live = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-client-side-apply", typeof(V1StatefulSet), T0));

        var result = ServerSideApply.Apply(live, Manifest(replicas: 5, image: "postgres:17"), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .spec.replicas\n"
            + "- .spec.template.spec.containers[name=\"postgres\"].image",
            result.ConflictMessage);
    }

    [Fact]
    public void Same_values_are_shared_not_conflicting()
    {
        var live = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-client-side-apply", typeof(V1StatefulSet), T0));

        var (merged, conflicts) = ServerSideApply.Apply(live, Manifest(), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Empty(conflicts);
        Assert.Equal(2, merged["metadata"]!["managedFields"]!.AsArray().Count);
    }

    [Fact]
    public void A_field_dropped_from_the_configuration_is_removed_unless_someone_else_owns_it()
    {
        var first = Stored(ServerSideApply.Apply(null, Manifest(extraLabel: ",'tier':'db'"), "kubectl", false, typeof(V1StatefulSet), T0).Merged);

        var (merged, _) = ServerSideApply.Apply(first, Manifest(), "kubectl", false, typeof(V1StatefulSet), T1);
        JsonAssert.Equal("{'app':'pg'}", merged["metadata"]!["labels"]);

        var labelled = ServerSideApply.RecordUpdate(first, Relabel(first, "owner", "me"), "kubectl-label", typeof(V1StatefulSet), T1);
        var (kept, _) = ServerSideApply.Apply(labelled, Manifest(), "kubectl", false, typeof(V1StatefulSet), T1);
        JsonAssert.Equal("{'app':'pg','owner':'me'}", kept["metadata"]!["labels"]);
    }

    private static JsonNode Relabel(JsonNode obj, string key, string value)
    {
        var copy = obj.DeepClone();
        copy["metadata"]!["labels"]![key] = value;
        return copy;
    }

    [Fact]
    public void Containers_merge_by_name_across_managers()
    {
        var first = Stored(ServerSideApply.Apply(null, Manifest(), "kubectl", false, typeof(V1StatefulSet), T0).Merged);
        var sidecar = JsonAssert.Parse("""
            {'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'pg'},
             'spec':{'template':{'spec':{'containers':[{'name':'exporter','image':'exporter:1'}]}}}}
            """)!;

        var (merged, conflicts) = ServerSideApply.Apply(first, sidecar, "sidecar-injector", false, typeof(V1StatefulSet), T1);

        Assert.Empty(conflicts);
        var names = merged["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"]);
        Assert.Equal(["postgres", "exporter"], names);
        Assert.Equal(3, (int?)merged["spec"]!["replicas"]);
        Assert.Equal("u-1", (string?)merged["metadata"]!["uid"]);
    }

    [Fact]
    public void Record_update_gives_the_writer_the_fields_it_changed()
    {
        var created = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-create", typeof(V1StatefulSet), T0));
        var scaled = created.DeepClone();
        scaled["spec"]!["replicas"] = 4;

        var updated = ServerSideApply.RecordUpdate(created, scaled, "kubectl-scale", typeof(V1StatefulSet), T1);

        var entries = updated["metadata"]!["managedFields"]!.AsArray();
        Assert.Equal(["kubectl-create", "kubectl-scale"], entries.Select(e => (string?)e!["manager"]));
        JsonAssert.Equal("{'f:spec':{'f:replicas':{}}}", entries[1]!["fieldsV1"]);
        Assert.Null(entries[0]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        JsonAssert.Equal("{'.':{},'f:app':{}}", entries[0]!["fieldsV1"]!["f:metadata"]!["f:labels"]);
    }

    [Fact]
    public void Status_in_an_apply_to_the_main_resource_is_ignored()
    {
        var manifest = Manifest();
        manifest["status"] = new JsonObject { ["replicas"] = 9 };

        var (merged, _) = ServerSideApply.Apply(null, manifest, "kubectl", false, typeof(V1StatefulSet), T0);

        Assert.Null(merged["status"]);
        Assert.Null(merged["metadata"]!["managedFields"]![0]!["fieldsV1"]!["f:status"]);
    }

    [Fact]
    public void Kubectl_managed_fields_migration_renames_the_client_side_apply_manager()
    {
        var live = Stored(ServerSideApply.RecordUpdate(null, Manifest(), "kubectl-client-side-apply", typeof(V1StatefulSet), T0));
        var entries = live["metadata"]!["managedFields"]!.AsArray();
        var migrated = entries.Select(e =>
        {
            var copy = e!.DeepClone();
            copy["manager"] = "kubectl";
            copy["operation"] = "Apply";
            return copy;
        }).ToArray();
        var patch = new JsonArray(
            new JsonObject { ["op"] = "replace", ["path"] = "/metadata/managedFields", ["value"] = new JsonArray(migrated) },
            new JsonObject { ["op"] = "replace", ["path"] = "/metadata/resourceVersion", ["value"] = "7" });
        var patched = Berth.Serialization.Patching.JsonPatch.Apply(live, patch)!;

        var recorded = ServerSideApply.RecordUpdate(live, patched, "kubectl", typeof(V1StatefulSet), T1);
        var (reapplied, conflicts) = ServerSideApply.Apply(recorded, Manifest(replicas: 5), "kubectl", false, typeof(V1StatefulSet), T1);

        Assert.Equal(["kubectl"], recorded["metadata"]!["managedFields"]!.AsArray().Select(e => (string?)e!["manager"]));
        Assert.Empty(conflicts);
        Assert.Equal(5, (int?)reapplied["spec"]!["replicas"]);
    }

    [Fact]
    public void A_list_item_without_its_key_is_a_bad_request()
    {
        var manifest = Manifest();
        manifest["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("name");

        var e = Assert.Throws<PatchException>(() => ServerSideApply.Apply(null, manifest, "kubectl", false, typeof(V1StatefulSet), T0));

        Assert.Equal(400, e.Code);
        Assert.Equal("failed to create typed patch object: .spec.template.spec.containers: element 0: associative list with keys has an element "
            + "that omits key field \"name\" (and doesn't have default value)", e.Message);
    }
}
