using System.Net;

namespace Berth.Controllers.Client;

/// <summary>
/// An API error: the HTTP status code and the metav1.Status reason and message, exactly as the server sent them
/// (e.g. 409 AlreadyExists <c>pods "web-0" already exists</c>).
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int statusCode, string reason, string message)
        : base(message)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    public ApiException()
        : this(500, "InternalError", "internal error")
    {
    }

    public ApiException(string message)
        : this(500, "InternalError", message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 500;
        Reason = "InternalError";
    }

    public int StatusCode { get; }

    public string Reason { get; }

    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;

    public bool IsAlreadyExists => StatusCode == (int)HttpStatusCode.Conflict && Reason == "AlreadyExists";

    public bool IsConflict => StatusCode == (int)HttpStatusCode.Conflict && Reason == "Conflict";

    public bool IsInvalid => StatusCode == 422;

    /// <summary>410 Gone: the watch or list revision was compacted away (reason Expired or Gone).</summary>
    public bool IsExpired => StatusCode == (int)HttpStatusCode.Gone;

    public static ApiException NotFound(string qualifiedResource, string name) =>
        new(404, "NotFound", $"{qualifiedResource} \"{name}\" not found");

    public static ApiException AlreadyExists(string qualifiedResource, string name) =>
        new(409, "AlreadyExists", $"{qualifiedResource} \"{name}\" already exists");

    public static ApiException Conflict(string qualifiedResource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {qualifiedResource} \"{name}\": {why}");

    public static ApiException Invalid(string kind, string name, string causes) =>
        new(422, "Invalid", $"{kind} \"{name}\" is invalid: {causes}");

    public static ApiException Expired(string message) => new(410, "Expired", message);
}
