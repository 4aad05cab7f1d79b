using System.Text.RegularExpressions;

namespace Berth.Core.Validation;

/// <summary>
/// Name and label checks from apimachinery util/validation (validation.go) and api/validation (NameIsDNS*).
/// Each returns the list of upstream messages; an empty list means valid.
/// </summary>
public static partial class NameValidation
{
    public const int DNS1123LabelMaxLength = 63;
    public const int DNS1123SubdomainMaxLength = 253;
    public const int DNS1035LabelMaxLength = 63;
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;

    public const string DNS1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    public const string DNS1123SubdomainFmt = DNS1123LabelFmt + "(\\." + DNS1123LabelFmt + ")*";
    public const string DNS1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    public const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    public const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    public const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";

    private const string DNS1123LabelErrMsg =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

    private const string DNS1123SubdomainErrMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    private const string DNS1035LabelErrMsg =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

    private const string QualifiedNameErrMsg =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    private const string LabelValueErrMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    private const string ConfigMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

    private static readonly string[] None = [];

    [GeneratedRegex("^" + DNS1123LabelFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1123LabelRegex();

    [GeneratedRegex("^" + DNS1123SubdomainFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1123SubdomainRegex();

    [GeneratedRegex("^" + DNS1035LabelFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1035LabelRegex();

    [GeneratedRegex("^" + QualifiedNameFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^" + ConfigMapKeyFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigMapKeyRegex();

    [GeneratedRegex("^[0-9]+%$", RegexOptions.CultureInvariant)]
    private static partial Regex PercentRegex();

    [GeneratedRegex("^[-a-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PortNameCharsetRegex();

    [GeneratedRegex("[a-z]", RegexOptions.CultureInvariant)]
    private static partial Regex PortNameOneLetterRegex();

    // Go's regexp treats "$" as end of text; .NET's "$" also matches before a final "\n", so every anchored
    // check also rejects a newline explicitly.
    private static bool Matches(Regex regex, string value) => !value.Contains('\n', StringComparison.Ordinal) && regex.IsMatch(value);

    public static IReadOnlyList<string> IsDNS1123Label(string value)
    {
        List<string>? errors = null;
        if (value.Length > DNS1123LabelMaxLength)
        {
            (errors ??= []).Add(ValidationMessages.MaxLenError(DNS1123LabelMaxLength));
        }

        if (!Matches(DNS1123LabelRegex(), value))
        {
            // upstream: a label that would be a valid subdomain gets a hint that dots are not allowed.
            var message = Matches(DNS1123SubdomainRegex(), value)
                ? "must not contain dots"
                : ValidationMessages.RegexError(DNS1123LabelErrMsg, DNS1123LabelFmt, "my-name", "123-abc");
            (errors ??= []).Add(message);
        }

        return errors ?? (IReadOnlyList<string>)None;
    }

    public static IReadOnlyList<string> IsDNS1123Subdomain(string value)
    {
        List<string>? errors = null;
        if (value.Length > DNS1123SubdomainMaxLength)
        {
            (errors ??= []).Add(ValidationMessages.MaxLenError(DNS1123SubdomainMaxLength));
        }

        if (!Matches(DNS1123SubdomainRegex(), value))
        {
            (errors ??= []).Add(ValidationMessages.RegexError(DNS1123SubdomainErrMsg, DNS1123SubdomainFmt, "example.com"));
        }

        return errors ?? (IReadOnlyList<string>)None;
    }

    public static IReadOnlyList<string> IsDNS1035Label(string value)
    {
        List<string>? errors = null;
        if (value.Length > DNS1035LabelMaxLength)
        {
            (errors ??= []).Add(ValidationMessages.MaxLenError(DNS1035LabelMaxLength));
        }

        if (!Matches(DNS1035LabelRegex(), value))
        {
            (errors ??= []).Add(ValidationMessages.RegexError(DNS1035LabelErrMsg, DNS1035LabelFmt, "my-name", "abc-123"));
        }

        return errors ?? (IReadOnlyList<string>)None;
    }

    /// <summary>Label and annotation keys: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.</summary>
    public static IReadOnlyList<string> IsQualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                {
                    errors.Add("prefix part " + ValidationMessages.EmptyError());
                }
                else
                {
                    foreach (var message in IsDNS1123Subdomain(prefix))
                    {
                        errors.Add("prefix part " + message);
                    }
                }

                break;
            default:
                errors.Add("a qualified name " +
                    ValidationMessages.RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc") +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
        {
            errors.Add("name part " + ValidationMessages.EmptyError());
        }
        else if (name.Length > QualifiedNameMaxLength)
        {
            errors.Add("name part " + ValidationMessages.MaxLenError(QualifiedNameMaxLength));
        }

        if (!Matches(QualifiedNameRegex(), name))
        {
            errors.Add("name part " + ValidationMessages.RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    public static IReadOnlyList<string> IsValidLabelValue(string value)
    {
        List<string>? errors = null;
        if (value.Length > LabelValueMaxLength)
        {
            (errors ??= []).Add(ValidationMessages.MaxLenError(LabelValueMaxLength));
        }

        if (!Matches(LabelValueRegex(), value))
        {
            (errors ??= []).Add(ValidationMessages.RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        }

        return errors ?? (IReadOnlyList<string>)None;
    }

    /// <summary>ConfigMap and Secret data keys (upstream IsConfigMapKey).</summary>
    public static IReadOnlyList<string> IsConfigMapKey(string value)
    {
        var errors = new List<string>();
        if (value.Length > DNS1123SubdomainMaxLength)
        {
            errors.Add(ValidationMessages.MaxLenError(DNS1123SubdomainMaxLength));
        }

        if (!Matches(ConfigMapKeyRegex(), value))
        {
            errors.Add(ValidationMessages.RegexError(ConfigMapKeyErrMsg, ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        }

        errors.AddRange(HasChDirPrefix(value));
        return errors;
    }

    /// <summary>upstream IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default since 1.32).</summary>
    public static IReadOnlyList<string> IsEnvVarName(string value)
    {
        if (value.Length == 0)
        {
            return ["environment variable name " + ValidationMessages.EmptyError()];
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '=')
            {
                return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
            }
        }

        return None;
    }

    /// <summary>upstream IsValidPortNum.</summary>
    public static IReadOnlyList<string> IsValidPortNum(long port) =>
        port is >= 1 and <= 65535 ? None : [ValidationMessages.InclusiveRangeError(1, 65535)];

    /// <summary>upstream IsValidPortName (an IANA_SVC_NAME).</summary>
    public static IReadOnlyList<string> IsValidPortName(string port)
    {
        var errors = new List<string>();
        if (port.Length > 15)
        {
            errors.Add(ValidationMessages.MaxLenError(15));
        }

        if (!Matches(PortNameCharsetRegex(), port))
        {
            errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!PortNameOneLetterRegex().IsMatch(port))
        {
            errors.Add("must contain at least one letter (a-z)");
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            errors.Add("must not contain consecutive hyphens");
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errors.Add("must not begin or end with a hyphen");
        }

        return errors;
    }

    /// <summary>upstream IsValidPercent (maxUnavailable, minAvailable).</summary>
    public static IReadOnlyList<string> IsValidPercent(string percent) =>
        Matches(PercentRegex(), percent)
            ? None
            : [ValidationMessages.RegexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%")];

    /// <summary>upstream IsValidIP (without the legacy leading-zero allowance).</summary>
    public static IReadOnlyList<string> IsValidIP(string value) =>
        System.Net.IPAddress.TryParse(value, out var address) && address.ToString().Length > 0 && !value.Contains('%', StringComparison.Ordinal)
            ? None
            : ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"];

    /// <summary>upstream MaskTrailingDash: a generateName may end in '-', the random suffix follows.</summary>
    public static string MaskTrailingDash(string name) =>
        name.Length > 1 && name[^1] == '-' ? name[..^1] + "a" : name;

    /// <summary>upstream NameIsDNSSubdomain (ValidateNameFunc): prefix=true for generateName.</summary>
    public static IReadOnlyList<string> NameIsDNSSubdomain(string name, bool prefix) =>
        IsDNS1123Subdomain(prefix ? MaskTrailingDash(name) : name);

    /// <summary>upstream NameIsDNSLabel.</summary>
    public static IReadOnlyList<string> NameIsDNSLabel(string name, bool prefix) =>
        IsDNS1123Label(prefix ? MaskTrailingDash(name) : name);

    /// <summary>upstream NameIsDNS1035Label (Service names).</summary>
    public static IReadOnlyList<string> NameIsDNS1035Label(string name, bool prefix) =>
        IsDNS1035Label(prefix ? MaskTrailingDash(name) : name);

    /// <summary>upstream ValidatePathSegmentName: names end up in URL paths.</summary>
    public static IReadOnlyList<string> IsValidPathSegmentName(string name)
    {
        if (name is "." or "..")
        {
            return [$"may not be '{name}'"];
        }

        var errors = new List<string>();
        if (name.Contains('/', StringComparison.Ordinal))
        {
            errors.Add("may not contain '/'");
        }

        if (name.Contains('%', StringComparison.Ordinal))
        {
            errors.Add("may not contain '%'");
        }

        return errors;
    }

    private static IEnumerable<string> HasChDirPrefix(string value)
    {
        if (value == ".")
        {
            yield return "must not be '.'";
        }
        else if (value == "..")
        {
            yield return "must not be '..'";
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }
}
