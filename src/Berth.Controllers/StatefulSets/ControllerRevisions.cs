using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Controllers.Runtime;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Controllers.StatefulSets;

/// <summary>Building, comparing, ordering and applying ControllerRevisions (pkg/controller/history).</summary>
internal static class ControllerRevisions
{
    /// <summary>newRevision: labels = template labels + hash, annotations = all the set's, controller ref to the set.</summary>
    public static V1ControllerRevision New(V1StatefulSet set, long revision, int? collisionCount)
    {
        var patch = RevisionHashing.Patch(set);
        var labels = set.Spec.Template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        var hash = RevisionHashing.Hash(patch, collisionCount);
        labels[StatefulSetLabels.RevisionHash] = hash;
        return new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = RevisionHashing.RevisionName(set.Metadata.Name, hash),
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = set.Metadata.Annotations is { } a ? new Dictionary<string, string>(a) : null,
                OwnerReferences = [StatefulSetPods.ControllerRef(set)],
            },
            Data = JsonDocument.Parse(patch).RootElement.Clone(),
            Revision = revision,
        };
    }

    /// <summary>The revision's data in canonical bytes (so a stored copy compares equal to a fresh one).</summary>
    public static byte[] Data(V1ControllerRevision revision) => revision.Data switch
    {
        JsonElement e => RevisionHashing.Canonical(Encoding.UTF8.GetBytes(e.GetRawText())),
        JsonNode n => RevisionHashing.Canonical(n),
        null => [],
        var other => RevisionHashing.Canonical(JsonSerializer.SerializeToUtf8Bytes(other, BerthJson.Options.GetTypeInfo(other.GetType()))),
    };

    /// <summary>
    /// EqualRevision: if both carry a hash label that parses as an integer and they differ, not equal; otherwise
    /// equal when their data is byte-equal.
    /// </summary>
    public static bool Equal(V1ControllerRevision a, V1ControllerRevision b)
    {
        var ha = NumericHash(a);
        var hb = NumericHash(b);
        if (ha is not null && hb is not null && ha != hb)
        {
            return false;
        }

        return Data(a).AsSpan().SequenceEqual(Data(b));
    }

    /// <summary>Sorted by revision number, then creation time, then name (history.SortControllerRevisions).</summary>
    public static List<V1ControllerRevision> Sort(IEnumerable<V1ControllerRevision> revisions) =>
        [.. revisions
            .OrderBy(r => r.Revision ?? 0)
            .ThenBy(r => r.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)];

    public static long NextRevision(IReadOnlyList<V1ControllerRevision> sorted) =>
        sorted.Count == 0 ? 1 : (sorted[^1].Revision ?? 0) + 1;

    /// <summary>ApplyRevision: a copy of the set with the revision's template (the patch replaces it wholesale).</summary>
    public static V1StatefulSet Apply(V1StatefulSet set, V1ControllerRevision revision)
    {
        var clone = Runtime.ModelCopy.Clone(set);
        var node = JsonNode.Parse(Data(revision))!;
        var template = node["spec"]?["template"]?.AsObject();
        if (template is not null)
        {
            template.Remove("$patch");
            clone.Spec.Template = BerthJson.Deserialize<V1PodTemplateSpec>(Encoding.UTF8.GetBytes(template.ToJsonString()))!;
        }

        return clone;
    }

    private static long? NumericHash(V1ControllerRevision r) =>
        r.Metadata.Label(StatefulSetLabels.RevisionHash) is { } s
        && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : null;
}
