namespace Berth.Storage;

/// <summary>One page of a list, all of it read at <see cref="Revision"/>.</summary>
/// <param name="Continue">Token for the next page, or null on the last one.</param>
/// <param name="RemainingItemCount">Items after this page when known (upstream metadata.remainingItemCount).</param>
public sealed record ListResult(IReadOnlyList<KeyValue> Items, long Revision, string? Continue, long? RemainingItemCount);
