using Berth.Serialization;

namespace Berth.ApiServer.Http;

/// <summary>A failure the client caused or must see: always answered with the carried metav1.Status.</summary>
internal sealed class ApiException : Exception
{
    public ApiException(Status status) : base(status.Message) => Status = status;

    public ApiException()
    {
        Status = Status.Failure(500, "InternalError", "unknown");
    }

    public ApiException(string message) : base(message)
    {
        Status = Status.Failure(500, "InternalError", message);
    }

    public ApiException(string message, Exception innerException) : base(message, innerException)
    {
        Status = Status.Failure(500, "InternalError", message);
    }

    public Status Status { get; }

    public int Code => Status.Code;
}
