namespace Berth.Serialization.Patching.Apply;

/// <summary>
/// The outcome of a server-side apply: the merged object (with metadata.managedFields updated) and, when the apply
/// must be refused, the conflicts. With conflicts, <see cref="Merged"/> is the live object unchanged.
/// </summary>
public sealed record ApplyResult(System.Text.Json.Nodes.JsonNode Merged, IReadOnlyList<ApplyConflict> Conflicts)
{
    /// <summary>
    /// Upstream's 409 Status message (apiserver fieldmanager getConflictMessage), or null without conflicts:
    /// <c>Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas</c>.
    /// </summary>
    public string? ConflictMessage
    {
        get
        {
            if (Conflicts.Count == 0)
            {
                return null;
            }

            if (Conflicts.Count == 1)
            {
                return $"Apply failed with 1 conflict: conflict with {Conflicts[0].Manager}: {Conflicts[0].Field}";
            }

            var lines = new List<string>();
            foreach (var group in Conflicts.GroupBy(c => c.Manager).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                lines.Add($"conflicts with {group.Key}:");
                lines.AddRange(group.Select(c => "- " + c.Field));
            }

            return $"Apply failed with {Conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
    }
}
