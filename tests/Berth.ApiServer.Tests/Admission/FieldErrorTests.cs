using System.Text.Json;
using Berth.ApiServer.Admission;
using Berth.Serialization;

namespace Berth.ApiServer.Tests.Admission;

public sealed class FieldErrorTests
{
    [Fact]
    public void Invalid_number_prints_plain() =>
        Assert.Equal("spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            FieldError.Invalid("spec.replicas", -1L, "must be greater than or equal to 0").ToString());

    [Fact]
    public void Invalid_string_is_go_quoted() =>
        Assert.Equal("metadata.name: Invalid value: \"We\\\"b\\n\": bad",
            FieldError.Invalid("metadata.name", "We\"b\n", "bad").ToString());

    [Fact]
    public void String_map_prints_as_a_sorted_go_literal() =>
        Assert.Equal("spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"1\", \"app\":\"x\"}: `selector` does not match template `labels`",
            FieldError.Invalid("spec.template.metadata.labels", new Dictionary<string, string> { ["app"] = "x", ["a"] = "1" },
                "`selector` does not match template `labels`").ToString());

    [Fact]
    public void Required_and_forbidden_omit_the_value()
    {
        Assert.Equal("spec.selector: Required value", FieldError.Required("spec.selector").ToString());
        Assert.Equal("spec: Forbidden: nope", FieldError.Forbidden("spec", "nope").ToString());
    }

    [Fact]
    public void Not_supported_lists_quoted_values() =>
        Assert.Equal("spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            FieldError.NotSupported("spec.template.spec.restartPolicy", "Never", ["Always"]).ToString());

    [Fact]
    public void Too_long_and_duplicate_follow_upstream_wording()
    {
        Assert.Equal("metadata.annotations: Too long: may not be more than 262144 bytes", FieldError.TooLong("metadata.annotations", "", 262144).ToString());
        Assert.Equal("spec.containers[1].name: Duplicate value: \"a\"", FieldError.Duplicate("spec.containers[1].name", "a").ToString());
    }

    [Fact]
    public void Invalid_status_for_one_error_has_no_brackets()
    {
        var status = InvalidStatus.Create("StatefulSet", "apps", "web", [FieldError.Invalid("spec.replicas", -1L, "must be greater than or equal to 0")]);

        Assert.Equal(422, status.Code);
        Assert.Equal("Invalid", status.Reason);
        Assert.Equal("Failure", status.StatusValue);
        Assert.Equal("StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0", status.Message);
        var cause = Assert.Single(status.Details!.Causes!);
        Assert.Equal(new StatusCause("FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0", "spec.replicas"), cause);
    }

    [Fact]
    public void Invalid_status_for_several_errors_brackets_and_dedups_messages()
    {
        var a = FieldError.Required("spec.selector");
        var b = FieldError.Forbidden("spec", "x");
        var status = InvalidStatus.Create("Pod", "", "p", [a, b, a]);

        Assert.Equal("Pod \"p\" is invalid: [spec.selector: Required value, spec: Forbidden: x]", status.Message);
        Assert.Equal(3, status.Details!.Causes!.Count);
        Assert.Null(status.Details.Group);
    }

    [Fact]
    public void Invalid_status_serialises_like_upstream()
    {
        var status = InvalidStatus.Create("StatefulSet", "apps", "web", [FieldError.Required("spec.selector")]);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(status));
        var root = json.RootElement;

        Assert.Equal("Status", root.GetProperty("kind").GetString());
        Assert.Equal("statefulset", root.GetProperty("details").GetProperty("kind").GetString()!.ToLowerInvariant());
        Assert.Equal("FieldValueRequired", root.GetProperty("details").GetProperty("causes")[0].GetProperty("reason").GetString());
        Assert.Equal("spec.selector", root.GetProperty("details").GetProperty("causes")[0].GetProperty("field").GetString());
    }
}
