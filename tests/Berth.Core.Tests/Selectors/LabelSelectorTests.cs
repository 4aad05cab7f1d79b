using Berth.Core.Selectors;
using FsCheck;
using FsCheck.Fluent;
using k8s.Models;

namespace Berth.Core.Tests.Selectors;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Pg = new() { ["app"] = "postgres", ["tier"] = "db", ["replica"] = "3" };

    [Theory]
    [InlineData("app=postgres", true)]
    [InlineData("app==postgres", true)]
    [InlineData("app!=postgres", false)]
    [InlineData("app!=redis", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (redis,postgres)", true)]
    [InlineData("app in (redis)", false)]
    [InlineData("app notin (redis)", true)]
    [InlineData("missing notin (redis)", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("app=postgres,tier=db", true)]
    [InlineData("app=postgres,tier=web", false)]
    [InlineData("  app = postgres , tier in ( db ) ", true)]
    [InlineData("replica>2", true)]
    [InlineData("replica<3", false)]
    [InlineData("app>2", false)]
    [InlineData("", true)]
    public void Every_operator_matches_like_upstream(string selector, bool expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Pg));
    }

    [Fact]
    public void In_and_notin_are_values_where_a_value_is_expected()
    {
        var s = LabelSelector.Parse("x in (in,notin)");

        Assert.True(s.Matches(new Dictionary<string, string> { ["x"] = "notin" }));
        Assert.Equal("x in (in,notin)", s.ToString());
    }

    [Theory]
    [InlineData("tier=db,app=postgres", "app=postgres,tier=db")]
    [InlineData("b in (z,a,a)", "b in (a,z)")]
    [InlineData("!a,b", "!a,b")]
    [InlineData("a==b", "a==b")]
    [InlineData("x in ()", "x in ()")]
    [InlineData("x=", "x=")]
    [InlineData("x in (,a)", "x in (,a)")]
    public void ToString_is_the_upstream_canonical_form(string selector, string canonical)
    {
        Assert.Equal(canonical, LabelSelector.Parse(selector).ToString());
    }

    [Theory]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a=b c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData("a=b,", "found '', expected: identifier after ','")]
    [InlineData(",a", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("a in b", "unable to parse requirement: found 'b' expected: '('")]
    [InlineData("a in (b", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("a=(b)", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("a=!b", "unable to parse requirement: found '!', expected: identifier")]
    public void Bad_syntax_gives_the_upstream_message(string selector, string message)
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelSelector.Parse(selector));

        Assert.Equal(message, e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void An_invalid_key_reports_the_qualified_name_rule()
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelSelector.Parse("-app=x"));

        Assert.Equal(
            "unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', "
            + "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
            + "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            e.Message);
    }

    [Fact]
    public void An_invalid_value_reports_the_label_value_rule_with_its_path()
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelSelector.Parse("app=a/b"));

        Assert.StartsWith("unable to parse requirement: values[0][app]: Invalid value: \"a/b\": a valid label must be an empty string", e.Message);
    }

    [Fact]
    public void FromV1_maps_match_labels_and_expressions()
    {
        var s = LabelSelector.FromV1(new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "postgres" },
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["db", "cache"] },
                new V1LabelSelectorRequirement { Key = "canary", OperatorProperty = "DoesNotExist" }],
        });

        Assert.True(s.Matches(Pg));
        Assert.Equal("app=postgres,!canary,tier in (cache,db)", s.ToString());
        Assert.False(s.Matches(new Dictionary<string, string> { ["app"] = "postgres", ["tier"] = "db", ["canary"] = "1" }));
    }

    [Fact]
    public void FromV1_null_matches_nothing_and_empty_matches_everything()
    {
        Assert.False(LabelSelector.FromV1(null).Matches(Pg));
        Assert.True(LabelSelector.FromV1(null).IsNothing);
        Assert.True(LabelSelector.FromV1(new V1LabelSelector()).IsEverything);
        Assert.True(LabelSelector.FromV1(new V1LabelSelector()).Matches(null));
    }

    [Fact]
    public void FromV1_rejects_bad_operators_and_missing_values_with_upstream_messages()
    {
        var badOp = Assert.Throws<SelectorParseException>(() => LabelSelector.FromV1(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "Equals" }],
        }));
        var noValues = Assert.Throws<SelectorParseException>(() => LabelSelector.FromV1(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "In" }],
        }));
        var existsWithValues = Assert.Throws<SelectorParseException>(() => LabelSelector.FromV1(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "Exists", Values = ["x"] }],
        }));

        Assert.Equal("\"Equals\" is not a valid label selector operator", badOp.Message);
        Assert.Equal("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty", noValues.Message);
        Assert.Equal("values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist", existsWithValues.Message);
    }

    [Fact]
    public void RequiresExactMatch_finds_pinned_values()
    {
        Assert.True(LabelSelector.Parse("app in (pg),x").RequiresExactMatch("app", out var v));
        Assert.Equal("pg", v);
        Assert.False(LabelSelector.Parse("app!=pg").RequiresExactMatch("app", out _));
    }

    private static readonly Gen<string> Token =
        Gen.Elements("a", "b", "app", "x.y", "tier", "v1", "in", "notin", "A-b_c", "z9", "");

    private static readonly Gen<string> Requirement =
        from key in Gen.Elements("a", "b", "app", "x.y", "k8s.io/name", "tier", "z9")
        from kind in Gen.Choose(0, 6)
        from values in Gen.NonEmptyListOf(Token)
        select kind switch
        {
            0 => key + "=" + values[0],
            1 => key + "==" + values[0],
            2 => key + "!=" + values[0],
            3 => key + " in (" + string.Join(",", values) + ")",
            4 => key + " notin (" + string.Join(",", values) + ")",
            5 => key,
            _ => "!" + key,
        };

    [Fact]
    public void Printing_a_parsed_selector_parses_back_to_the_same_selector()
    {
        var labels = Gen.Elements("a", "b", "app", "x.y", "tier", "z9").Zip(Token).ListOf()
            .Select(l => (IDictionary<string, string>)l.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2));
        var cases = Gen.NonEmptyListOf(Requirement).Select(rs => string.Join(",", rs)).Zip(labels);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (text, set) = c;
            var parsed = LabelSelector.Parse(text);
            var printed = parsed.ToString();
            var reparsed = LabelSelector.Parse(printed);
            return printed == reparsed.ToString() && parsed.Matches(set) == reparsed.Matches(set);
        }).QuickCheckThrowOnFailure();
    }
}
