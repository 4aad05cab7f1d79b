using System.Text.Json.Nodes;
using Berth.Serialization.Patching;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Serialization.Tests.Patching;

public sealed class JsonMergePatchTests
{
    [Fact]
    public void Kubectl_scale_body_sets_replicas_and_keeps_the_rest()
    {
        var sts = JsonAssert.Parse("{'spec':{'replicas':3,'serviceName':'pg'},'metadata':{'name':'pg'}}");

        var result = JsonMergePatch.Apply(sts, JsonAssert.Parse("{'spec':{'replicas':5}}"));

        JsonAssert.Equal("{'spec':{'replicas':5,'serviceName':'pg'},'metadata':{'name':'pg'}}", result);
        JsonAssert.Equal("{'spec':{'replicas':3,'serviceName':'pg'},'metadata':{'name':'pg'}}", sts);
    }

    [Fact]
    public void Null_removes_a_label_and_arrays_are_replaced_whole()
    {
        var doc = JsonAssert.Parse("{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'args':['x','y']}}");

        var result = JsonMergePatch.Apply(doc, JsonAssert.Parse("{'metadata':{'labels':{'a':null}},'spec':{'args':['z']}}"));

        JsonAssert.Equal("{'metadata':{'labels':{'b':'2'}},'spec':{'args':['z']}}", result);
    }

    [Fact]
    public void Nulls_inside_a_new_object_are_dropped()
    {
        var result = JsonMergePatch.Apply(JsonAssert.Parse("{}"), JsonAssert.Parse("{'a':{'b':null,'c':1}}"));

        JsonAssert.Equal("{'a':{'c':1}}", result);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("'text'")]
    [InlineData("3")]
    public void A_patch_that_is_not_an_object_is_a_bad_request(string patch)
    {
        var e = Assert.Throws<PatchException>(() => JsonMergePatch.Apply(JsonAssert.Parse("{}"), JsonAssert.Parse(patch)));

        Assert.Equal(400, e.Code);
        Assert.Equal("Invalid JSON Patch", e.Message);
    }

    [Fact]
    public void Merging_the_diff_of_two_documents_onto_the_first_gives_the_second()
    {
        Prop.ForAll(JsonGen.Document.ToArbitrary(), JsonGen.Document.ToArbitrary(), (a, b) =>
        {
            var patch = JsonMergePatch.CreatePatch(a, b);
            var result = JsonMergePatch.Apply(a, patch);
            return JsonNode.DeepEquals(result, b);
        }).QuickCheckThrowOnFailure();
    }
}
