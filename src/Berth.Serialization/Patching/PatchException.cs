namespace Berth.Serialization.Patching;

/// <summary>
/// A patch that cannot be applied. <see cref="Code"/> is the HTTP status the API server answers (400 for a patch
/// body that does not decode, 422 for one that does not apply), <see cref="Exception.Message"/> the message
/// upstream puts in the Status, and <see cref="Detail"/> the underlying reason (upstream keeps some of these only
/// in its logs, for example why a JSON patch did not apply).
/// </summary>
public sealed class PatchException : Exception
{
    public PatchException(int code, string message, string? detail = null) : base(message)
    {
        Code = code;
        Detail = detail ?? message;
    }

    public PatchException()
    {
    }

    public PatchException(string message) : base(message)
    {
        Code = 400;
        Detail = message;
    }

    public PatchException(string message, Exception innerException) : base(message, innerException)
    {
        Code = 400;
        Detail = message;
    }

    public int Code { get; } = 400;

    public string Detail { get; } = "";

    /// <summary>Upstream's reason for <see cref="Code"/>: BadRequest, Invalid, Conflict, RequestEntityTooLarge.</summary>
    public string Reason => Code switch
    {
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        422 => "Invalid",
        _ => "BadRequest",
    };

    internal static PatchException BadRequest(string message) => new(400, message);

    internal static PatchException Invalid(string message) => new(422, message);
}
