namespace Berth.ApiServer.Admission;

/// <summary>The models expose IDictionary, which has no GetValueOrDefault.</summary>
internal static class DictionaryExtensions
{
    public static TValue? ValueOrDefault<TValue>(this IDictionary<string, TValue>? dictionary, string key) =>
        dictionary is not null && dictionary.TryGetValue(key, out var value) ? value : default;
}
