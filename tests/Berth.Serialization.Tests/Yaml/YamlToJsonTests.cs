using System.Text.Json.Nodes;
using Berth.Serialization.Tests.Patching;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Serialization.Tests.Yaml;

public sealed class YamlToJsonTests
{
    [Fact]
    public void A_multi_document_manifest_becomes_one_json_object_per_document()
    {
        const string yaml = """
            # a headless service and its statefulset
            apiVersion: v1
            kind: Service
            metadata:
              name: pg-hl
            spec:
              clusterIP: None
              ports:
              - port: 5432
            ---
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: pg
            spec:
              replicas: 3
              template:
                spec:
                  containers:
                  - name: postgres
                    image: "postgres:16"
                    args: ["-c", 'max_connections=10']
                    env:
                    - name: POSTGRES_PASSWORD
                      value: "123"
            """;

        var docs = YamlToJson.ConvertAll(yaml);

        Assert.Equal(2, docs.Count);
        JsonAssert.Equal("{'apiVersion':'v1','kind':'Service','metadata':{'name':'pg-hl'},'spec':{'clusterIP':'None','ports':[{'port':5432}]}}", docs[0]);
        Assert.Equal(3, (long?)docs[1]["spec"]!["replicas"]);
        Assert.Equal("123", (string?)docs[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]);
    }

    [Theory]
    [InlineData("v: yes", "{'v':true}")]
    [InlineData("v: on", "{'v':true}")]
    [InlineData("v: Off", "{'v':false}")]
    [InlineData("v: n", "{'v':false}")]
    [InlineData("v: 'yes'", "{'v':'yes'}")]
    [InlineData("v: ~", "{'v':null}")]
    [InlineData("v:", "{'v':null}")]
    [InlineData("v: 1_000", "{'v':1000}")]
    [InlineData("v: 0x1F", "{'v':31}")]
    [InlineData("v: 017", "{'v':15}")]
    [InlineData("v: 0o17", "{'v':15}")]
    [InlineData("v: 08", "{'v':8}")]
    [InlineData("v: -12", "{'v':-12}")]
    [InlineData("v: 1.5", "{'v':1.5}")]
    [InlineData("v: .5", "{'v':0.5}")]
    [InlineData("v: 1e3", "{'v':1000}")]
    [InlineData("v: 1.0", "{'v':1}")]
    [InlineData("v: 2026-11-23", "{'v':'2026-11-23'}")]
    [InlineData("v: 1.2.3", "{'v':'1.2.3'}")]
    [InlineData("v: 500m", "{'v':'500m'}")]
    [InlineData("v: !!str 42", "{'v':'42'}")]
    [InlineData("v: \"42\"", "{'v':'42'}")]
    [InlineData("v: |\n  line1\n  line2\n", "{'v':'line1\\nline2\\n'}")]
    [InlineData("on: push", "{'true':'push'}")]
    [InlineData("80: http", "{'80':'http'}")]
    public void Plain_scalars_are_typed_like_go_yaml_v2(string yaml, string json)
    {
        JsonAssert.Equal(json, YamlToJson.ConvertSingle(yaml));
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_resolve()
    {
        const string yaml = """
            base: &b
              image: busybox
              pull: Always
            c1:
              <<: *b
              pull: Never
            list: [*b]
            """;

        JsonAssert.Equal("{'base':{'image':'busybox','pull':'Always'},'c1':{'pull':'Never','image':'busybox'},'list':[{'image':'busybox','pull':'Always'}]}",
            YamlToJson.ConvertSingle(yaml));
    }

    [Fact]
    public void Large_integers_keep_their_digits()
    {
        Assert.Equal("18446744073709551615", YamlToJson.ConvertSingle("v: 18446744073709551615")!["v"]!.ToJsonString());
        Assert.Equal("1e+21", YamlToJson.ConvertSingle("v: 1e21")!["v"]!.ToJsonString());
        Assert.Equal("10000000000000000", YamlToJson.ConvertSingle("v: 1e16")!["v"]!.ToJsonString());
    }

    [Theory]
    [InlineData("a: b\n c: d\n", 2)]
    [InlineData("a:\n  - x\n  y: z\n", 3)]
    [InlineData("a: [1, 2\n", 2)]
    [InlineData("a: .inf", 1)]
    public void Bad_yaml_reports_the_line(string yaml, int line)
    {
        var e = Assert.Throws<YamlConversionException>(() => YamlToJson.ConvertAll(yaml));

        Assert.Equal(line, e.Line);
        Assert.StartsWith($"yaml: line {line}: ", e.Message);
    }

    [Fact]
    public void Empty_documents_are_skipped_and_single_rejects_several()
    {
        Assert.Empty(YamlToJson.ConvertAll("# nothing\n---\n"));
        Assert.Null(YamlToJson.ConvertSingle(""));
        Assert.Throws<YamlConversionException>(() => YamlToJson.ConvertSingle("a: 1\n---\nb: 2\n"));
    }

    [Fact]
    public void An_alias_bomb_is_refused_not_expanded()
    {
        var sb = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 9; i++)
        {
            sb.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var e = Assert.Throws<YamlConversionException>(() => YamlToJson.ConvertAll(sb.ToString()));

        Assert.Contains("too large", e.Message);
    }

    [Fact]
    public void Json_text_is_valid_yaml()
    {
        JsonAssert.Equal("{'kind':'Pod','spec':{'containers':[{'name':'a','ports':[{'containerPort':80}]}]}}",
            YamlToJson.ConvertSingle("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80}]}]}}"));
        Assert.IsType<JsonObject>(YamlToJson.ConvertSingle("{}"), exactMatch: false);
    }

    [Fact]
    public void A_repeated_key_keeps_the_last_value_and_is_reported_for_strict_validation()
    {
        var duplicates = new List<string>();

        var doc = YamlToJson.ConvertSingle("spec:\n  a: 1\n  a: 2\n", duplicates);

        JsonAssert.Equal("{'spec':{'a':2}}", doc);
        Assert.Equal(["line 3: key \"a\" already set in map"], duplicates);
    }

    [Fact]
    public void Infinity_cannot_become_json()
    {
        var e = Assert.Throws<YamlConversionException>(() => YamlToJson.ConvertAll("a: 1\nb: -.inf\n"));

        Assert.Equal("yaml: line 2: json: unsupported value: -Inf", e.Message);
    }

    [Fact]
    public void Any_json_document_is_yaml_that_converts_back_to_itself()
    {
        // kubectl apply --server-side sends JSON text as application/apply-patch+yaml
        Prop.ForAll(JsonGen.Document.ToArbitrary(), doc =>
        {
            var escaped = doc.ToJsonString();
            var raw = doc.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            return JsonNode.DeepEquals(YamlToJson.ConvertSingle(escaped), doc) && JsonNode.DeepEquals(YamlToJson.ConvertSingle(raw), doc);
        }).QuickCheckThrowOnFailure();
    }
}
