namespace Berth.ApiServer.Registry;

/// <summary>The fieldValidation query parameter (upstream default when absent: Warn).</summary>
internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}
