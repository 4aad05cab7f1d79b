using System.Text.RegularExpressions;
using Berth.Core;
using Berth.Serialization;

namespace Berth.ApiServer.Registry;

/// <summary>
/// The generic ObjectMeta name rules every registry applies before storage (upstream
/// apimachinery validation: ValidateObjectMeta with the resource's name function). Besides matching upstream's
/// messages, this keeps every stored key a safe single path segment.
/// </summary>
internal static partial class ObjectMetaRules
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
        + "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with "
        + "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    private const string Dns1035Message =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and "
        + "end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        + "'[a-z]([-a-z0-9]*[a-z0-9])?')";

    /// <summary>Causes for an invalid name (empty when valid), in upstream's field/message form.</summary>
    public static List<StatusCause> ValidateName(ResourceDescriptor resource, string name, bool generated)
    {
        var causes = new List<StatusCause>();
        var field = generated ? "metadata.generateName" : "metadata.name";
        // Namespaces are DNS-1123 labels; Services DNS-1035 labels (upstream ValidateNamespaceName,
        // ValidateServiceName); everything else here a DNS-1123 subdomain.
        var (regex, max, message) = resource.Kind switch
        {
            "Namespace" => (Label(), 63, LabelMessage),
            "Service" => (Dns1035(), 63, Dns1035Message),
            _ => (Subdomain(), 253, SubdomainMessage),
        };
        // generateName gets a 5-character suffix, so it is checked with a trailing "a" stand-in (as upstream
        // trims the trailing dash before checking the prefix).
        var checkedName = generated ? name.TrimEnd('-') : name;
        if (checkedName.Length == 0 && generated)
        {
            return causes;
        }

        if (!regex.IsMatch(checkedName))
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {message}", field));
        }

        if (checkedName.Length > max)
        {
            causes.Add(new StatusCause("FieldValueInvalid",
                $"Invalid value: \"{name}\": must be no more than {max} characters", field));
        }

        return causes;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();
}
