using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>Small shared checks from upstream core validation (ValidateNonnegativeField, int-or-percent, DNS label fields).</summary>
internal static class CommonValidation
{
    public const string IsNegativeErrorMsg = "must be greater than or equal to 0";

    public static void ValidateNonnegative(long value, string path, List<FieldError> errors)
    {
        if (value < 0)
        {
            errors.Add(FieldError.Invalid(path, value, IsNegativeErrorMsg));
        }
    }

    public static void ValidateDNS1123Label(string value, string path, List<FieldError> errors)
    {
        foreach (var message in NameValidation.IsDNS1123Label(value))
        {
            errors.Add(FieldError.Invalid(path, value, message));
        }
    }

    public static void ValidateDNS1123Subdomain(string value, string path, List<FieldError> errors)
    {
        foreach (var message in NameValidation.IsDNS1123Subdomain(value))
        {
            errors.Add(FieldError.Invalid(path, value, message));
        }
    }

    /// <summary>True when the IntOrString holds a string (a percent or a port name), not a number.</summary>
    public static bool IsString(IntOrString value) => !long.TryParse(value.Value, out _);

    /// <summary>upstream ValidatePositiveIntOrPercent (despite the name, zero passes: callers check it separately).</summary>
    public static void ValidatePositiveIntOrPercent(IntOrString value, string path, List<FieldError> errors)
    {
        if (IsString(value))
        {
            foreach (var message in NameValidation.IsValidPercent(value.Value ?? ""))
            {
                errors.Add(FieldError.Invalid(path, value, message));
            }
        }
        else
        {
            ValidateNonnegative(long.Parse(value.Value!, System.Globalization.CultureInfo.InvariantCulture), path, errors);
        }
    }

    /// <summary>upstream getIntOrPercentValue: the number, or the percent's number; -1 when unparseable.</summary>
    public static long IntOrPercentValue(IntOrString value)
    {
        var text = value.Value ?? "";
        if (long.TryParse(text, out var number))
        {
            return number;
        }

        return text.EndsWith('%') && long.TryParse(text[..^1], out var percent) ? percent : -1;
    }

    /// <summary>upstream IsNotMoreThan100Percent.</summary>
    public static void IsNotMoreThan100Percent(IntOrString value, string path, List<FieldError> errors)
    {
        if (IsString(value) && IntOrPercentValue(value) > 100)
        {
            errors.Add(FieldError.Invalid(path, value, "must not be greater than 100%"));
        }
    }
}
