namespace Berth.Storage;

/// <summary>
/// List parameters with their upstream meanings. <see cref="ResourceVersion"/>: null or "" = most recent,
/// "0" = any (served from the watch cache), otherwise a revision interpreted by <see cref="Match"/>.
/// <see cref="Limit"/> counts items after <see cref="Filter"/>; <see cref="Continue"/> is the opaque token of
/// a previous page (it pins the page to that page's revision).
/// </summary>
public sealed record ListOptions
{
    public static readonly ListOptions Default = new();

    public string? ResourceVersion { get; init; }
    public ResourceVersionMatch Match { get; init; }
    public long Limit { get; init; }
    public string? Continue { get; init; }
    public Func<KeyValue, bool>? Filter { get; init; }
}
