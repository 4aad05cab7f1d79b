namespace Berth.ApiServer.Registry;

/// <summary>The query parameters every write accepts (dryRun, fieldManager, fieldValidation), and the
/// warnings the write produced (sent as <c>Warning: 299 - "..."</c> headers).</summary>
internal sealed class WriteOptions
{
    public bool DryRun { get; init; }

    public string? FieldManager { get; init; }

    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;

    public List<string> Warnings { get; } = [];
}
