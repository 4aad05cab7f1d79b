using Berth.Core.Selectors;

namespace Berth.Core.Tests.Selectors;

public sealed class FieldSelectorTests
{
    private static string? Event(string field) => field switch
    {
        "involvedObject.name" => "postgres",
        "involvedObject.kind" => "StatefulSet",
        "metadata.namespace" => "default",
        _ => null,
    };

    [Theory]
    [InlineData("involvedObject.name=postgres,involvedObject.namespace=,involvedObject.kind=StatefulSet", true)]
    [InlineData("involvedObject.name==postgres", true)]
    [InlineData("involvedObject.name!=postgres", false)]
    [InlineData("involvedObject.kind=Pod", false)]
    [InlineData("spec.nodeName!=node-1", true)]
    [InlineData("", true)]
    public void Terms_match_like_upstream(string selector, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(selector).Matches(Event));
    }

    [Fact]
    public void Fields_lists_what_the_server_must_support()
    {
        var s = FieldSelector.Parse("metadata.name=a,status.phase!=Running,metadata.name!=b");

        Assert.Equal(["metadata.name", "status.phase"], s.Fields);
    }

    [Fact]
    public void Escaped_values_round_trip()
    {
        var s = FieldSelector.Parse(@"metadata.name=a\,b\=c\\d");

        Assert.Equal(@"a,b=c\d", s.Requirements[0].Value);
        Assert.Equal(@"metadata.name=a\,b\=c\\d", s.ToString());
        Assert.Equal(s.ToString(), FieldSelector.Parse(s.ToString()).ToString());
    }

    [Fact]
    public void Terms_are_sorted_and_double_equals_prints_as_equals()
    {
        Assert.Equal("a=1,b!=2", FieldSelector.Parse("b!=2,a==1").ToString());
    }

    [Theory]
    [InlineData("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'")]
    [InlineData("a=b=c", "invalid field selector: unescaped character in value: 61")]
    [InlineData(@"a=b\x", @"invalid field selector: invalid escape sequence: \x")]
    [InlineData(@"a=b\", @"invalid field selector: invalid escape sequence: \")]
    public void Bad_selectors_give_upstream_messages(string selector, string message)
    {
        Assert.Equal(message, Assert.Throws<SelectorParseException>(() => FieldSelector.Parse(selector)).Message);
    }

    [Fact]
    public void RequiresExactMatch_finds_the_name()
    {
        Assert.True(FieldSelector.Parse("metadata.name=pg").RequiresExactMatch("metadata.name", out var name));
        Assert.Equal("pg", name);
    }
}
