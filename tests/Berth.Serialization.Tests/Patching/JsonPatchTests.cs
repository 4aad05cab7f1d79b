using System.Text.Json.Nodes;
using Berth.Serialization.Patching;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Serialization.Tests.Patching;

public sealed class JsonPatchTests
{
    private const string Sts = "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':3,'ports':[1,2,3]}}";

    [Theory]
    [InlineData("[{'op':'replace','path':'/spec/replicas','value':5}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':5,'ports':[1,2,3]}}")]
    [InlineData("[{'op':'add','path':'/spec/ports/1','value':9}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':3,'ports':[1,9,2,3]}}")]
    [InlineData("[{'op':'add','path':'/spec/ports/-','value':9}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':3,'ports':[1,2,3,9]}}")]
    [InlineData("[{'op':'remove','path':'/metadata/labels/a~1b'},{'op':'remove','path':'/metadata/labels/t~0x'}]", "{'metadata':{'name':'pg','labels':{'app':'pg'}},'spec':{'replicas':3,'ports':[1,2,3]}}")]
    [InlineData("[{'op':'move','from':'/spec/replicas','path':'/spec/r'}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'r':3,'ports':[1,2,3]}}")]
    [InlineData("[{'op':'copy','from':'/spec/ports','path':'/spec/p2'},{'op':'remove','path':'/spec/p2/0'}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':3,'ports':[1,2,3],'p2':[2,3]}}")]
    [InlineData("[{'op':'test','path':'/spec/replicas','value':3},{'op':'remove','path':'/spec/ports/-1'}]", "{'metadata':{'name':'pg','labels':{'app':'pg','a/b':'1','t~x':'2'}},'spec':{'replicas':3,'ports':[1,2]}}")]
    public void Every_operation_applies_like_rfc_6902(string patch, string expected)
    {
        var doc = JsonAssert.Parse(Sts);

        JsonAssert.Equal(expected, JsonPatch.Apply(doc, JsonAssert.Parse(patch)));
        JsonAssert.Equal(Sts, doc);
    }

    [Theory]
    [InlineData("[{'op':'test','path':'/spec/replicas','value':4}]", "testing value /spec/replicas failed: test failed")]
    [InlineData("[{'op':'replace','path':'/spec/ports/9','value':4}]", "replace operation does not apply: doc is missing key: /spec/ports/9: missing value")]
    [InlineData("[{'op':'replace','path':'/nope/deeper','value':4}]", "replace operation does not apply: doc is missing path: /nope/deeper: missing value")]
    [InlineData("[{'op':'add','path':'/nope/deeper','value':4}]", "add operation does not apply: doc is missing path: \"/nope/deeper\": missing value")]
    [InlineData("[{'op':'remove','path':'/spec/nope'}]", "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value")]
    [InlineData("[{'op':'add','path':'/spec/ports/7','value':4}]", "error in add for path: '/spec/ports/7': Unable to access invalid index: 7: invalid index referenced")]
    [InlineData("[{'op':'frobnicate','path':'/spec'}]", "Unexpected kind: frobnicate")]
    [InlineData("[{'path':'/spec'}]", "Unexpected kind: unknown")]
    public void An_operation_that_does_not_apply_is_422_with_the_reason_in_detail(string patch, string detail)
    {
        var doc = JsonAssert.Parse(Sts);

        var e = Assert.Throws<PatchException>(() => JsonPatch.Apply(doc, JsonAssert.Parse(patch)));

        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("the server rejected our request due to an error in our request", e.Message);
        Assert.Equal(detail, e.Detail);
        JsonAssert.Equal(Sts, doc);
    }

    [Fact]
    public void A_body_that_is_not_an_array_is_a_bad_request()
    {
        var e = Assert.Throws<PatchException>(() => JsonPatch.Apply(JsonAssert.Parse(Sts), JsonAssert.Parse("{'op':'add'}")));

        Assert.Equal(400, e.Code);
        Assert.Equal("json: cannot unmarshal object into Go value of type jsonpatch.Patch", e.Message);
    }

    [Fact]
    public void The_kubectl_managed_fields_migration_patch_applies()
    {
        var doc = JsonAssert.Parse("{'metadata':{'name':'pg','resourceVersion':'7','managedFields':[{'manager':'kubectl-client-side-apply'}]}}");
        var patch = JsonAssert.Parse("[{'op':'replace','path':'/metadata/managedFields','value':[{'manager':'kubectl'}]},{'op':'replace','path':'/metadata/resourceVersion','value':'7'}]");

        JsonAssert.Equal("{'metadata':{'name':'pg','resourceVersion':'7','managedFields':[{'manager':'kubectl'}]}}", JsonPatch.Apply(doc, patch));
    }

    [Fact]
    public void Adding_a_member_then_removing_it_restores_the_document()
    {
        var cases = JsonGen.Document.Zip(Gen.Elements("new", "a", "x/y", "m~n")).Zip(JsonGen.Document);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var ((doc, key), value) = c;
            if (((JsonObject)doc).ContainsKey(key))
            {
                return true;
            }

            var pointer = "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
            var patch = new JsonArray(
                new JsonObject { ["op"] = "add", ["path"] = pointer, ["value"] = value.DeepClone() },
                new JsonObject { ["op"] = "test", ["path"] = pointer, ["value"] = value.DeepClone() },
                new JsonObject { ["op"] = "remove", ["path"] = pointer });
            return JsonNode.DeepEquals(JsonPatch.Apply(doc, patch), doc);
        }).QuickCheckThrowOnFailure();
    }
}
