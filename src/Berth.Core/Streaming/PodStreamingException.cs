namespace Berth.Core.Streaming;

/// <summary>
/// A pod streaming request that cannot be served, with the HTTP status and the message upstream would give
/// (for example 400 <c>container "x" in pod "web-0" is waiting to start: ContainerCreating</c>, or 404 for a
/// container that does not exist). The API server turns it into a metav1.Status.
/// </summary>
public sealed class PodStreamingException : Exception
{
    public PodStreamingException()
    {
    }

    public PodStreamingException(string message)
        : base(message)
    {
    }

    public PodStreamingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PodStreamingException(int statusCode, string reason, string message)
        : base(message)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The HTTP status code (400 BadRequest, 404 NotFound, 500 InternalError ...).</summary>
    public int StatusCode { get; } = 500;

    /// <summary>The metav1.Status reason (BadRequest, NotFound, InternalError ...).</summary>
    public string Reason { get; } = "InternalError";
}
