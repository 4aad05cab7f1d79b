namespace Berth.ApiServer.Registry;

/// <summary>The query parameters every write accepts (dryRun, fieldManager, fieldValidation), and the
/// warnings the write produced (sent as <c>Warning: 299 - "..."</c> headers).</summary>
internal sealed class WriteOptions
{
    public bool DryRun { get; init; }

    /// <summary>Who the write's managedFields entry names: the fieldManager parameter, else the client's
    /// User-Agent up to its first "/" (upstream managerOrUserAgent).</summary>
    public string? FieldManager { get; init; }

    /// <summary>False for server-side apply, which records its own Apply entry instead of an Update.</summary>
    public bool RecordManagedFields { get; set; } = true;

    /// <summary>The subresource a main-resource write is recorded under ("scale" for /scale writes).</summary>
    public string? ManagedFieldsSubresource { get; init; }

    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;

    public List<string> Warnings { get; } = [];
}
