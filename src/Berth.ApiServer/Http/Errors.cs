using Berth.Core;
using Berth.Serialization;

namespace Berth.ApiServer.Http;

/// <summary>
/// Upstream's apimachinery/pkg/api/errors constructors: same reasons, codes and message shapes, so kubectl
/// prints what a real cluster prints.
/// </summary>
internal static class Errors
{
    public static ApiException NotFound(ResourceDescriptor resource, string name) =>
        new(Status.Failure(404, "NotFound", $"{resource.QualifiedResource} \"{name}\" not found", Details(resource, name)));

    public static ApiException NotFound(string qualifiedResource, string group, string name) =>
        new(Status.Failure(404, "NotFound", $"{qualifiedResource} \"{name}\" not found",
            new StatusDetails { Name = name, Group = group.Length == 0 ? null : group, Kind = qualifiedResource.Split('.')[0] }));

    /// <summary>The bare 404 upstream answers for a path no handler serves.</summary>
    public static ApiException NoHandler() =>
        new(Status.Failure(404, "NotFound", "the server could not find the requested resource", new StatusDetails()));

    public static ApiException AlreadyExists(ResourceDescriptor resource, string name) =>
        new(Status.Failure(409, "AlreadyExists", $"{resource.QualifiedResource} \"{name}\" already exists", Details(resource, name)));

    public static ApiException Conflict(ResourceDescriptor resource, string name, string why) =>
        new(Status.Failure(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedResource} \"{name}\": {why}",
            Details(resource, name)));

    public const string ModifiedMessage =
        "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiException BadRequest(string message) =>
        new(Status.Failure(400, "BadRequest", message));

    public static ApiException Invalid(ResourceDescriptor resource, string name, IReadOnlyList<StatusCause> causes)
    {
        // upstream errors.NewInvalid: `Kind.group "name" is invalid: field: message, field: message` (a list
        // of several is wrapped in brackets).
        var parts = causes.Select(c => c.Field is { Length: > 0 } f ? f + ": " + c.Message : c.Message).ToList();
        var joined = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
        var kind = resource.Group.Length == 0 ? resource.Kind : resource.Kind + "." + resource.Group;
        return new ApiException(Status.Failure(422, "Invalid", $"{kind} \"{name}\" is invalid: {joined}",
            new StatusDetails { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Kind, Causes = causes }));
    }

    public static ApiException Forbidden(ResourceDescriptor resource, string name, string why) =>
        new(Status.Failure(403, "Forbidden", $"{resource.QualifiedResource} \"{name}\" is forbidden: {why}", Details(resource, name)));

    public static ApiException MethodNotSupported(ResourceDescriptor resource, string action) =>
        new(Status.Failure(405, "MethodNotAllowed", $"{action} is not supported on resources of kind \"{resource.QualifiedResource}\"",
            new StatusDetails { Group = NullIfEmpty(resource.Group), Kind = resource.Plural }));

    // upstream negotiation.NewUnsupportedMediaTypeError lists what the server decodes; we do not decode protobuf.
    public static ApiException UnsupportedMediaType() =>
        new(Status.Failure(415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + "application/json, application/yaml"));

    public static ApiException RequestEntityTooLarge(long limit) =>
        new(Status.Failure(413, "RequestEntityTooLarge", $"Request entity too large: limit is {limit}"));

    public static ApiException Gone(string message) =>
        new(Status.Failure(410, "Expired", message));

    public static ApiException TooManyRequests(string message, int retryAfterSeconds) =>
        new(Status.Failure(429, "TooManyRequests", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds }));

    public static ApiException ServiceUnavailable(string message) =>
        new(Status.Failure(503, "ServiceUnavailable", message));

    public static ApiException Unauthorized() =>
        new(Status.Failure(401, "Unauthorized", "Unauthorized"));

    public static ApiException Timeout(string message, int retryAfterSeconds) =>
        new(Status.Failure(504, "Timeout", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds }));

    public static StatusDetails Details(ResourceDescriptor resource, string name) =>
        new() { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Plural };

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
