namespace Berth.ApiServer.Admission;

/// <summary>upstream field.ErrorType; <see cref="FieldError"/> maps each to its text and its StatusCause reason.</summary>
internal enum FieldErrorType
{
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
    TypeInvalid,
}
