namespace Berth.Core.Validation;

/// <summary>
/// The message builders of apimachinery's util/validation package (MaxLenError, RegexError, EmptyError,
/// InclusiveRangeError). kubectl users grep for these exact strings, so they are reproduced byte for byte,
/// including upstream's double space before "or" in RegexError.
/// </summary>
public static class ValidationMessages
{
    public static string EmptyError() => "must be non-empty";

    public static string MaxLenError(int length) => $"must be no more than {length} characters";

    public static string InclusiveRangeError(long lo, long hi) => $"must be between {lo} and {hi}, inclusive";

    /// <summary>upstream RegexError: each example is written as <c>'x', </c> and joined with " or ".</summary>
    public static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return message + " (regex used for validation is '" + format + "')";
        }

        var text = new System.Text.StringBuilder(message).Append(" (e.g. ");
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                text.Append(" or ");
            }

            text.Append('\'').Append(examples[i]).Append("', ");
        }

        return text.Append("regex used for validation is '").Append(format).Append("')").ToString();
    }
}
