namespace Berth.Controllers.Client;

/// <summary>A list result: the items and the list's resourceVersion, from which a watch continues.</summary>
public sealed record ApiList<T>(IReadOnlyList<T> Items, string ResourceVersion);
