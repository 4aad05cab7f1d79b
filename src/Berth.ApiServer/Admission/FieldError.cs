namespace Berth.ApiServer.Admission;

/// <summary>
/// upstream field.Error: one validation failure at a field path. <see cref="ToString"/> is upstream's Error()
/// (<c>spec.replicas: Invalid value: -1: must be greater than or equal to 0</c>), <see cref="ErrorBody"/> the
/// part without the path, which is what a Status cause's message holds.
/// </summary>
internal sealed record FieldError(FieldErrorType Type, string Field, object? BadValue, string Detail)
{
    /// <summary>upstream field.OmitValueType: print the error type without a value.</summary>
    public static readonly object OmitValue = new GoValue.Literal("<omitted>");

    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, "", detail);

    public static FieldError Invalid(string field, object? value, string detail) => new(FieldErrorType.Invalid, field, value, detail);

    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, "", detail);

    public static FieldError Duplicate(string field, object? value) => new(FieldErrorType.Duplicate, field, value, "");

    public static FieldError NotFound(string field, object? value) => new(FieldErrorType.NotFound, field, value, "");

    /// <summary>upstream field.NotSupported: the detail lists the supported values, each Go-quoted.</summary>
    public static FieldError NotSupported(string field, object? value, IEnumerable<string> supported)
    {
        var quoted = supported.Select(GoValue.Quote).ToList();
        return new(FieldErrorType.NotSupported, field, value, quoted.Count == 0 ? "" : "supported values: " + string.Join(", ", quoted));
    }

    public static FieldError TooLong(string field, object? value, int maxLength) =>
        new(FieldErrorType.TooLong, field, value,
            maxLength >= 0 ? $"may not be more than {maxLength} {(maxLength == 1 ? "byte" : "bytes")}" : "value is too long");

    public static FieldError TooMany(string field, int actual, int max) =>
        new(FieldErrorType.TooMany, field, actual, max >= 0 ? $"must have at most {max} items" : "has too many items");

    /// <summary>The StatusCause reason (metav1.CauseType) for this error type.</summary>
    public string Reason => Type switch
    {
        FieldErrorType.NotFound => "FieldValueNotFound",
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        FieldErrorType.Internal => "InternalError",
        FieldErrorType.TypeInvalid => "FieldValueTypeInvalid",
        _ => "FieldValueInvalid",
    };

    /// <summary>upstream ErrorType.String().</summary>
    public string TypeText => Type switch
    {
        FieldErrorType.NotFound => "Not found",
        FieldErrorType.Required => "Required value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        FieldErrorType.Internal => "Internal error",
        FieldErrorType.TypeInvalid => "Invalid value",
        _ => "Invalid value",
    };

    /// <summary>upstream Error.ErrorBody(): the type, the value for types that show one, then the detail.</summary>
    public string ErrorBody()
    {
        var body = Type is FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.TooLong or FieldErrorType.Internal
                   || ReferenceEquals(BadValue, OmitValue)
            ? TypeText
            : TypeText + ": " + GoValue.Format(BadValue);
        return Detail.Length == 0 ? body : body + ": " + Detail;
    }

    public override string ToString() => Field + ": " + ErrorBody();
}
