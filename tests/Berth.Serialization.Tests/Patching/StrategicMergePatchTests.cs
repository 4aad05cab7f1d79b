using System.Text.Json.Nodes;
using Berth.Serialization.Patching;
using FsCheck;
using FsCheck.Fluent;
using k8s.Models;

namespace Berth.Serialization.Tests.Patching;

public sealed class StrategicMergePatchTests
{
    private const string Sts = """
        {'apiVersion':'apps/v1','kind':'StatefulSet',
         'metadata':{'name':'pg','labels':{'app':'pg'},'finalizers':['a','b']},
         'spec':{'replicas':3,'template':{
           'metadata':{'labels':{'app':'pg'},'annotations':{'x':'1'}},
           'spec':{'containers':[
              {'name':'postgres','image':'postgres:15','ports':[{'containerPort':5432,'name':'pg'}],
               'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]},
              {'name':'sidecar','image':'busybox'}],
             'tolerations':[{'key':'k1'},{'key':'k2'}],
             'volumes':[{'name':'data','emptyDir':{}}]}}}}
        """;

    private static string Apply(string patch) =>
        StrategicMergePatch.Apply(JsonAssert.Parse(Sts), JsonAssert.Parse(patch), typeof(V1StatefulSet)).ToJsonString().Replace('"', '\'');

    private static void AssertPatch(string patch, string expectedDoc)
    {
        var result = StrategicMergePatch.Apply(JsonAssert.Parse(Sts), JsonAssert.Parse(patch), typeof(V1StatefulSet));
        JsonAssert.Equal(expectedDoc, result);
    }

    [Fact]
    public void Kubectl_apply_body_merges_the_container_by_name_and_keeps_server_fields()
    {
        var result = JsonAssert.Parse(Apply("""
            {'metadata':{'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'{}'}},
             'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'postgres'},{'name':'sidecar'}],
               'containers':[{'image':'postgres:16.1','name':'postgres'}]}}}}
            """))!;

        var containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        Assert.Equal("postgres:16.1", (string?)containers[0]!["image"]);
        Assert.Equal(5432, (int?)containers[0]!["ports"]![0]!["containerPort"]);
        Assert.Equal("2", (string?)containers[0]!["env"]![1]!["value"]);
        Assert.Equal("sidecar", (string?)containers[1]!["name"]);
        Assert.Equal("{}", (string?)result["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]);
        Assert.Equal("pg", (string?)result["metadata"]!["labels"]!["app"]);
    }

    [Fact]
    public void Set_element_order_reorders_the_merged_list()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'sidecar'},{'name':'postgres'}]}}}}"))!;

        var names = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"]);
        Assert.Equal(["sidecar", "postgres"], names);
    }

    [Fact]
    public void Kubectl_set_image_changes_only_the_image()
    {
        var result = JsonAssert.Parse(Apply(
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'postgres'}],'containers':[{'image':'postgres:16-alpine','name':'postgres'}]}}}}"))!;

        var containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal("postgres:16-alpine", (string?)containers[0]!["image"]);
        Assert.Equal("busybox", (string?)containers[1]!["image"]);
    }

    [Fact]
    public void Rollout_undo_replaces_the_whole_template()
    {
        AssertPatch(
            "{'spec':{'template':{'$patch':'replace','metadata':{'labels':{'app':'pg'}},'spec':{'containers':[{'name':'postgres','image':'postgres:14'}]}}}}",
            """
            {'apiVersion':'apps/v1','kind':'StatefulSet',
             'metadata':{'name':'pg','labels':{'app':'pg'},'finalizers':['a','b']},
             'spec':{'replicas':3,'template':{'metadata':{'labels':{'app':'pg'}},'spec':{'containers':[{'name':'postgres','image':'postgres:14'}]}}}}
            """);
    }

    [Fact]
    public void Null_deletes_and_scalars_replace()
    {
        var result = JsonAssert.Parse(Apply("{'metadata':{'labels':null},'spec':{'replicas':5,'template':{'metadata':{'annotations':{'x':null,'y':'2'}}}}}"))!;

        Assert.Null(result["metadata"]!["labels"]);
        Assert.Equal(5, (int?)result["spec"]!["replicas"]);
        JsonAssert.Equal("{'y':'2'}", result["spec"]!["template"]!["metadata"]!["annotations"]);
    }

    [Fact]
    public void Delete_directive_in_a_list_removes_the_element_by_merge_key()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'containers':[{'name':'sidecar','$patch':'delete'}]}}}}"))!;

        var containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Single(containers);
        Assert.Equal("postgres", (string?)containers[0]!["name"]);
    }

    [Fact]
    public void Replace_directive_in_a_list_replaces_the_list()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'containers':[{'name':'new','image':'x'},{'$patch':'replace'}]}}}}"))!;

        JsonAssert.Equal("[{'name':'new','image':'x'}]", result["spec"]!["template"]!["spec"]!["containers"]);
    }

    [Fact]
    public void Env_merges_by_name_in_patch_order_with_server_items_kept_in_place()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'containers':[{'name':'postgres','env':[{'name':'C','value':'3'},{'name':'B','value':'9'}]}]}}}}"))!;

        JsonAssert.Equal("[{'name':'C','value':'3'},{'name':'A','value':'1'},{'name':'B','value':'9'}]",
            result["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]);
    }

    [Fact]
    public void Lists_without_a_merge_strategy_are_replaced()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'tolerations':[{'key':'k3'}]}}}}"))!;

        JsonAssert.Equal("[{'key':'k3'}]", result["spec"]!["template"]!["spec"]!["tolerations"]);
    }

    [Fact]
    public void Finalizers_merge_as_a_set_and_delete_from_primitive_list_removes()
    {
        var union = JsonAssert.Parse(Apply("{'metadata':{'finalizers':['c','a']}}"))!;
        var deleted = JsonAssert.Parse(Apply("{'metadata':{'$deleteFromPrimitiveList/finalizers':['a']}}"))!;

        JsonAssert.Equal("['c','a','b']", union["metadata"]!["finalizers"]);
        JsonAssert.Equal("['b']", deleted["metadata"]!["finalizers"]);
    }

    [Fact]
    public void Retain_keys_clears_the_old_volume_source()
    {
        var result = JsonAssert.Parse(Apply(
            "{'spec':{'template':{'spec':{'volumes':[{'name':'data','hostPath':{'path':'/x'},'$retainKeys':['hostPath','name']}]}}}}"))!;

        JsonAssert.Equal("[{'name':'data','hostPath':{'path':'/x'}}]", result["spec"]!["template"]!["spec"]!["volumes"]);
    }

    [Fact]
    public void A_map_delete_directive_empties_the_map()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'metadata':{'$patch':'delete'}}}}"))!;

        JsonAssert.Equal("{}", result["spec"]!["template"]!["metadata"]);
    }

    [Fact]
    public void Unknown_types_merge_maps_and_replace_lists()
    {
        var result = StrategicMergePatch.Apply(JsonAssert.Parse("{'a':{'b':1,'c':[1,2]}}"), JsonAssert.Parse("{'a':{'c':[3],'d':null}}"), null);

        JsonAssert.Equal("{'a':{'b':1,'c':[3]}}", result);
    }

    [Fact]
    public void New_list_elements_lose_directives_and_nulls()
    {
        var result = JsonAssert.Parse(Apply("{'spec':{'template':{'spec':{'containers':[{'name':'third','image':'x','args':null}]}}}}"))!;

        // upstream mergeSortedSlice puts patch items the server does not know before the server-only ones
        var containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        JsonAssert.Equal("{'name':'third','image':'x'}", containers[0]);
        Assert.Equal(["third", "postgres", "sidecar"], containers.Select(c => (string?)c!["name"]));
    }

    [Theory]
    [InlineData("{'spec':{'$patch':'frob'}}", 400, "unknown patch type: frob in map: map[$patch:frob]")]
    [InlineData("{'spec':{'template':{'spec':{'containers':[{'image':'x'}]}}}}", 400, "map: map[image:x] does not contain declared merge key: name")]
    [InlineData("{'spec':{'template':{'spec':{'containers':[{'name':'x','$patch':'merge'}]}}}}", 400, "merging lists cannot yet be specified in the patch")]
    [InlineData("{'spec':{'template':{'spec':{'volumes':[{'name':'data','hostPath':{},'$retainKeys':['name']}]}}}}", 400, "invalid patch format of retainKeys")]
    [InlineData("{'spec':{'template':{'spec':{'volumes':[{'name':'data','$retainKeys':'name'}]}}}}", 400, "invalid patch format of retainKeys")]
    [InlineData("{'spec':{'template':{'spec':{'$setElementOrder/containers':{'name':'x'}}}}}", 400, "expected a []interface {}, but received a map[string]interface {}")]
    [InlineData("{'metadata':{'finalizers':[['a']]}}", 400, "list element types are not identical: [[a b] [[a]]]")]
    [InlineData("{'spec':{'template':{'spec':{'imagePullSecrets':[['x']]}}}}", 422, "lists of lists are not supported")]
    [InlineData("['a']", 400, "json: cannot unmarshal array into Go value of type map[string]interface {}")]
    public void Bad_directives_are_rejected_with_upstream_messages(string patch, int code, string message)
    {
        var e = Assert.Throws<PatchException>(() => Apply(patch));

        Assert.Equal(code, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Set_element_order_that_contradicts_the_patch_list_is_rejected()
    {
        var e = Assert.Throws<PatchException>(() => Apply(
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'postgres'}],'containers':[{'name':'other','image':'x'}]}}}}"));

        Assert.StartsWith("The order in patch list:", e.Message);
    }

    [Fact]
    public void The_original_is_not_modified()
    {
        var original = JsonAssert.Parse(Sts);

        StrategicMergePatch.Apply(original, JsonAssert.Parse("{'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'postgres','image':'x'}]}}}}"),
            typeof(V1StatefulSet));

        JsonAssert.Equal(Sts, original);
    }

    [Fact]
    public void Patch_metadata_carries_upstream_tags()
    {
        var volumes = PatchMetadata.Field(typeof(V1PodSpec), "volumes")!;
        var ports = PatchMetadata.Field(typeof(V1Container), "ports")!;

        Assert.Equal("merge,retainKeys", volumes.StrategyString);
        Assert.Equal("name", volumes.MergeKey);
        Assert.Equal(typeof(V1Volume), volumes.ElementType);
        Assert.Equal(["containerPort", "protocol"], ports.ListMapKeys);
        Assert.Equal("map", ports.ListTypeString);
        Assert.Null(PatchMetadata.Field(typeof(V1PodSpec), "tolerations")!.StrategyString);
        Assert.Equal("atomic", PatchMetadata.Field(typeof(V1PodSpec), "tolerations")!.ListTypeString);
        Assert.Equal(typeof(string), PatchMetadata.ChildType(typeof(V1ObjectMeta), "labels"));
    }

    [Fact]
    public void Without_type_information_it_agrees_with_json_merge_patch()
    {
        Prop.ForAll(JsonGen.Document.ToArbitrary(), JsonGen.Document.ToArbitrary(), (a, b) =>
        {
            var patch = JsonMergePatch.CreatePatch(a, b);
            return JsonNode.DeepEquals(StrategicMergePatch.Apply(a, patch, null), b);
        }).QuickCheckThrowOnFailure();
    }
}
