namespace Berth.Serialization.Patching;

/// <summary>
/// What upstream declares for one field of one model type: its JSON name, CLR type and, for lists and maps, the
/// element type; the strategic-merge-patch strategy and merge key; and the list type and map keys server-side
/// apply uses.
/// </summary>
public sealed record FieldPatchInfo(
    string JsonName,
    Type ValueType,
    Type? ElementType,
    bool IsList,
    bool IsMap,
    PatchStrategy Strategy,
    string? MergeKey,
    ListType ListType,
    IReadOnlyList<string> ListMapKeys)
{
    /// <summary>The x-kubernetes-patch-strategy string upstream's OpenAPI carries, or null when the field has none.</summary>
    public string? StrategyString
    {
        get
        {
            var parts = new List<string>(2);
            if (Strategy.HasFlag(PatchStrategy.Merge))
            {
                parts.Add("merge");
            }

            if (Strategy.HasFlag(PatchStrategy.Replace))
            {
                parts.Add("replace");
            }

            if (Strategy.HasFlag(PatchStrategy.RetainKeys))
            {
                parts.Add("retainKeys");
            }

            return parts.Count == 0 ? null : string.Join(",", parts);
        }
    }

    /// <summary>The x-kubernetes-list-type string ("atomic", "set", "map"), null for non-lists.</summary>
    public string? ListTypeString => !IsList ? null : ListType switch
    {
        ListType.Map => "map",
        ListType.Set => "set",
        _ => "atomic",
    };
}
