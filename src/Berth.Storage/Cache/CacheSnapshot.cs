using System.Collections.Immutable;

namespace Berth.Storage.Cache;

/// <summary>The current state and the revision it reflects, swapped as one reference so readers never see a torn pair.</summary>
internal sealed record CacheSnapshot(ImmutableSortedDictionary<string, KeyValue> State, long Revision)
{
    public static readonly CacheSnapshot Empty = new(ImmutableSortedDictionary.Create<string, KeyValue>(StringComparer.Ordinal), 0);
}
