using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Tables;
using Berth.Core;
using Berth.Storage;

namespace Berth.ApiServer.Tests.Tables;

public sealed class TableWriterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ResourceDescriptor Pods = ResourceCatalog.Find("", "v1", "pods")!;

    private static string Pod(int i, string status = """{"phase":"Pending"}""") =>
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"RV","creationTimestamp":"2026-12-01T11:55:00Z",
         "managedFields":[{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:nodeName":{}}},"manager":"kubectl","operation":"Update"}],
         "name":"web-I","namespace":"default","uid":"u-I"},
         "spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"busybox"}],"nodeName":"node-1"},"status":STATUS}
        """.Replace("\n", "", StringComparison.Ordinal).Replace("RV", (i + 10).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("web-I", "web-" + i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("u-I", "u-" + i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("STATUS", status, StringComparison.Ordinal);

    [Fact]
    public void A_pod_row_has_upstream_cells_with_the_last_restart_and_the_age_read_from_RFC3339_times()
    {
        var status = """
            {"phase":"Running","podIP":"10.244.0.7","conditions":[{"type":"Ready","status":"False"}],
             "containerStatuses":[
              {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-12-01T11:57:30Z"}}},
              {"name":"b","ready":false,"restartCount":1,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-12-01T11:50:00Z"}}}]}
            """;

        var table = Render([Pod(1, status)], "Metadata");

        var cells = table["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()).ToArray();
        Assert.Equal(["web-1", "1/2", "Running", "3 (2m30s ago)", "5m", "10.244.0.7", "node-1", "<none>", "<none>"], cells);
        var metadata = table["rows"]![0]!["object"]!["metadata"]!;
        Assert.Equal("PartialObjectMetadata", (string?)table["rows"]![0]!["object"]!["kind"]);
        Assert.Equal("kubectl", (string?)metadata["managedFields"]![0]!["manager"]);
    }

    [Fact]
    public async Task A_streamed_list_Table_is_byte_for_byte_the_rendered_Table()
    {
        // 400 pods of about 800 bytes: several 64 KiB flushes.
        var items = Enumerable.Range(0, 400).Select(i => new KeyValue("/registry/pods/default/web-" + i, Encoding.UTF8.GetBytes(Pod(i)), i + 10, i + 10))
            .ToList();
        foreach (var includeObject in (string[])["Metadata", "Object", "None"])
        {
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
            await TableWriter.WriteAsync(pipe.Writer, Pods, items, "999", "next-token", 3, includeObject, Now, "meta.k8s.io/v1",
                TestContext.Current.CancellationToken);
            await pipe.Writer.CompleteAsync();
            var streamed = new MemoryStream();
            await pipe.Reader.CopyToAsync(streamed, TestContext.Current.CancellationToken);

            var rendered = TableWriter.Render(Pods, items.Select(i => i.Value), "999", "next-token", 3, includeObject, includeColumns: true, Now);

            Assert.Equal(Encoding.UTF8.GetString(rendered), Encoding.UTF8.GetString(streamed.ToArray()));
            var table = JsonNode.Parse(streamed.ToArray())!;
            Assert.Equal(400, table["rows"]!.AsArray().Count);
            Assert.Equal("next-token", (string?)table["metadata"]!["continue"]);
            Assert.Equal(3, (long)table["metadata"]!["remainingItemCount"]!);
        }
    }

    [Theory]
    [InlineData("""{"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}],"name":"p","creationTimestamp":"2026-12-01T11:00:00Z"}""")]
    [InlineData("""{"name":"p","creationTimestamp":"2026-12-01T11:00:00Z","managedFields":[{"manager":"m"}]}""")]
    [InlineData("""{ "name" : "p" , "managedFields" : [ { "manager" : "m" } ] , "creationTimestamp" : "2026-12-01T11:00:00Z" }""")]
    [InlineData("""{"name":"p","creationTimestamp":"2026-12-01T11:00:00Z","managedFields":null}""")]
    [InlineData("""{"name":"p","creationTimestamp":"2026-12-01T11:00:00Z"}""")]
    public void Cells_are_read_without_managedFields_wherever_it_sits_and_the_metadata_goes_out_whole(string metadata)
    {
        var pod = """{"kind":"Pod","apiVersion":"v1","metadata":METADATA,"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running"}}"""
            .Replace("METADATA", metadata, StringComparison.Ordinal);

        var table = Render([pod], "Metadata");

        var cells = table["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()).ToArray();
        Assert.Equal(["p", "0/1", "Running", "0", "60m"], cells[..5]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(metadata), table["rows"]![0]!["object"]!["metadata"]));
    }

    private static JsonNode Render(IEnumerable<string> objects, string includeObject) =>
        JsonNode.Parse(TableWriter.Render(Pods, objects.Select(o => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(o)), "1", null, null, includeObject,
            includeColumns: true, Now))!;
}
