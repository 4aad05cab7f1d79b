using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Client;

namespace Berth.ApiServer.Tests.Client;

public sealed class ManagedFieldsOmissionTests
{
    private const string Entries = """[{"manager":"m","operation":"Update","fieldsV1":{"f:data":{"f:managedFields":{}}}}]""";

    [Theory]
    [InlineData("""{"metadata":{"managedFields":ENTRIES,"name":"a","uid":"u"},"data":{"k":"v"}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"a","managedFields":ENTRIES,"uid":"u"},"data":{"k":"v"}}""")]
    [InlineData("""{"metadata":{"name":"a","uid":"u","managedFields":ENTRIES},"data":{"k":"v"}}""")]
    [InlineData("""{"metadata":{"managedFields":ENTRIES},"data":{"k":"v"}}""")]
    [InlineData("""{ "metadata" : { "name" : "a" , "managedFields" : ENTRIES } , "data" : {"k":"v"} }""")]
    public void The_copy_is_the_object_without_metadata_managed_fields_wherever_they_stand(string json)
    {
        var input = json.Replace("ENTRIES", Entries, StringComparison.Ordinal);
        var expected = JsonNode.Parse(input)!.AsObject();
        expected["metadata"]!.AsObject().Remove("managedFields");

        var omitted = ManagedFieldsOmission.Omit(Encoding.UTF8.GetBytes(input)).ToArray();

        var actual = JsonNode.Parse(omitted);
        Assert.True(JsonNode.DeepEquals(expected, actual), Encoding.UTF8.GetString(omitted));
    }

    [Fact]
    public void Managed_fields_outside_metadata_stay()
    {
        var json = """{"metadata":{"name":"a"},"data":{"managedFields":"kept"},"spec":{"metadata":{"managedFields":[]}}}""";

        var omitted = ManagedFieldsOmission.Omit(Encoding.UTF8.GetBytes(json)).ToArray();

        Assert.Equal(json, Encoding.UTF8.GetString(omitted));
    }
}
