using Berth.Serialization;

namespace Berth.ApiServer.Admission;

/// <summary>upstream errors.NewInvalid: the 422 Status kubectl prints as <c>The StatefulSet "web" is invalid: ...</c>.</summary>
internal static class InvalidStatus
{
    public static Status Create(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var qualifiedKind = group.Length == 0 ? kind : kind + "." + group;
        var causes = errors.Select(e => new StatusCause(e.Reason, e.ErrorBody(), e.Field)).ToList();

        // field.ErrorList.ToAggregate drops repeated messages; an aggregate of one prints bare, of many in brackets.
        var messages = errors.Select(e => e.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var prefix = $"{qualifiedKind} {GoValue.Quote(name)} is invalid";
        var message = messages.Count switch
        {
            0 => prefix,
            1 => prefix + ": " + messages[0],
            _ => prefix + ": [" + string.Join(", ", messages) + "]",
        };

        return Status.Failure(422, "Invalid", message, new StatusDetails
        {
            Name = name,
            Group = group.Length == 0 ? null : group,
            Kind = kind,
            Causes = causes,
        });
    }
}
