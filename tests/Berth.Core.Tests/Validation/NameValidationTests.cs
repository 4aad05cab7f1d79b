using Berth.Core.Validation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Berth.Core.Tests.Validation;

public sealed class NameValidationTests
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an " +
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    [Theory]
    [InlineData("web")]
    [InlineData("web-0")]
    [InlineData("a.b.c")]
    [InlineData("0abc")]
    public void Valid_subdomains_have_no_errors(string name) => Assert.Empty(NameValidation.IsDNS1123Subdomain(name));

    [Theory]
    [InlineData("Web")]
    [InlineData("-web")]
    [InlineData("web-")]
    [InlineData("we_b")]
    [InlineData("")]
    [InlineData("web\n")]
    public void Invalid_subdomains_get_the_upstream_message(string name) =>
        Assert.Equal([SubdomainMessage], NameValidation.IsDNS1123Subdomain(name));

    [Fact]
    public void Subdomain_over_253_characters_reports_length_first()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        Assert.Equal(["must be no more than 253 characters"], NameValidation.IsDNS1123Subdomain(name));
    }

    [Fact]
    public void Label_messages_match_upstream_including_the_double_space()
    {
        Assert.Equal([LabelMessage], NameValidation.IsDNS1123Label("My_Name"));
        Assert.Equal(["must not contain dots"], NameValidation.IsDNS1123Label("web.example"));
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDNS1123Label(new string('a', 64)));
    }

    [Fact]
    public void Dns1035_label_must_start_with_a_letter() =>
        Assert.Equal(
            ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an " +
             "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
            NameValidation.IsDNS1035Label("1web"));

    [Fact]
    public void Qualified_names_check_prefix_and_name_parts()
    {
        Assert.Empty(NameValidation.IsQualifiedName("app.kubernetes.io/name"));
        Assert.Empty(NameValidation.IsQualifiedName("App_Name.1"));
        Assert.Equal(["prefix part must be non-empty"], NameValidation.IsQualifiedName("/name"));
        // upstream reports both the emptiness and the regex mismatch for an empty name part.
        Assert.Equal("name part must be non-empty", NameValidation.IsQualifiedName("example.com/")[0]);
        Assert.Equal(2, NameValidation.IsQualifiedName("example.com/").Count);
        Assert.Equal(
            ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
             "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
            NameValidation.IsQualifiedName("-bad"));
        Assert.StartsWith("a qualified name must consist of", NameValidation.IsQualifiedName("a/b/c").Single(), StringComparison.Ordinal);
        Assert.EndsWith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')", NameValidation.IsQualifiedName("a/b/c").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Label_values_may_be_empty_but_not_malformed()
    {
        Assert.Empty(NameValidation.IsValidLabelValue(""));
        Assert.Empty(NameValidation.IsValidLabelValue("v1.2_3-x"));
        Assert.Equal(
            ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
             "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
            NameValidation.IsValidLabelValue("has space"));
        Assert.Equal(2, NameValidation.IsValidLabelValue(new string('a', 63) + "-").Count);
    }

    [Fact]
    public void Port_names_and_numbers_follow_upstream()
    {
        Assert.Empty(NameValidation.IsValidPortName("http"));
        Assert.Equal(["must contain at least one letter (a-z)"], NameValidation.IsValidPortName("8080"));
        Assert.Equal(["must not contain consecutive hyphens"], NameValidation.IsValidPortName("a--b"));
        Assert.Equal(["must be between 1 and 65535, inclusive"], NameValidation.IsValidPortNum(0));
        Assert.Equal(["must be no more than 15 characters"], NameValidation.IsValidPortName("abcdefghijklmnop"));
    }

    [Fact]
    public void Config_keys_reject_parent_directory_prefixes()
    {
        Assert.Empty(NameValidation.IsConfigMapKey("app.properties"));
        Assert.Equal(["must not be '..'"], NameValidation.IsConfigMapKey(".."));
        Assert.Equal(["must not start with '..'"], NameValidation.IsConfigMapKey("..data"));
        Assert.Single(NameValidation.IsConfigMapKey("a/b"));
    }

    [Fact]
    public void Generate_name_prefix_may_end_with_a_dash()
    {
        Assert.Empty(NameValidation.NameIsDNSSubdomain("web-", prefix: true));
        Assert.NotEmpty(NameValidation.NameIsDNSSubdomain("web-", prefix: false));
    }

    private static readonly char[] LabelChars = "abcdefghijklmnopqrstuvwxyz0123456789-".ToCharArray();
    private static readonly char[] Alnum = "abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray();

    private static Gen<string> ValidLabel() =>
        from first in Gen.Elements(Alnum)
        from middle in Gen.ArrayOf(Gen.Elements(LabelChars)).Select(a => new string(a.Take(20).ToArray()))
        from last in Gen.Elements(Alnum)
        from single in Gen.Elements(true, false)
        select single ? first.ToString() : first + middle + last;

    [Property(MaxTest = 300)]
    public Property Labels_built_from_the_grammar_are_valid_labels_and_subdomains() =>
        Prop.ForAll(ValidLabel().ToArbitrary(), label =>
            NameValidation.IsDNS1123Label(label).Count == 0 && NameValidation.IsDNS1123Subdomain(label).Count == 0
            && NameValidation.IsValidLabelValue(label).Count == 0);

    [Property(MaxTest = 300)]
    public Property Dotted_labels_are_subdomains_but_not_labels() =>
        Prop.ForAll(ValidLabel().ToArbitrary(), ValidLabel().ToArbitrary(), (a, b) =>
            NameValidation.IsDNS1123Subdomain(a + "." + b).Count == 0
            && NameValidation.IsDNS1123Label(a + "." + b).SequenceEqual(["must not contain dots"]));

    [Property(MaxTest = 300)]
    public Property An_uppercase_letter_anywhere_makes_a_name_invalid() =>
        Prop.ForAll(ValidLabel().ToArbitrary(), Gen.Elements("ABCXYZ".ToCharArray()).ToArbitrary(), Gen.Choose(0, 100).ToArbitrary(), (label, upper, at) =>
        {
            var position = at % (label.Length + 1);
            var name = label.Insert(position, upper.ToString());
            return NameValidation.IsDNS1123Subdomain(name).Count > 0 && NameValidation.IsDNS1123Label(name).Count > 0;
        });
}
