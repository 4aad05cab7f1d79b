using k8s.Models;

namespace Berth.Cli.Up;

/// <summary>Events grouped by the object they are about, so a waiting object's latest reason is one lookup.</summary>
internal sealed class EventIndex
{
    private readonly Dictionary<string, List<Corev1Event>> _byObject = new(StringComparer.Ordinal);

    public EventIndex(IEnumerable<Corev1Event> events)
    {
        foreach (var e in events)
        {
            var o = e.InvolvedObject;
            if (o?.Name is null)
            {
                continue;
            }

            var key = Key(o.Kind, o.NamespaceProperty, o.Name);
            if (!_byObject.TryGetValue(key, out var list))
            {
                list = [];
                _byObject[key] = list;
            }

            list.Add(e);
        }

        foreach (var list in _byObject.Values)
        {
            list.Sort((a, b) => When(a).CompareTo(When(b)));
        }
    }

    /// <summary>
    /// The latest event about the object that passes <paramref name="filter"/>; with a uid, events about an earlier
    /// object of the same name (a pod the StatefulSet replaced) do not count.
    /// </summary>
    public Corev1Event? Latest(string kind, string? ns, string name, string? uid, Func<Corev1Event, bool>? filter = null)
    {
        if (!_byObject.TryGetValue(Key(kind, ns, name), out var list))
        {
            return null;
        }

        for (var i = list.Count - 1; i >= 0; i--)
        {
            var e = list[i];
            if ((uid is null || string.IsNullOrEmpty(e.InvolvedObject.Uid) || e.InvolvedObject.Uid == uid) && (filter is null || filter(e)))
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>The time an event last happened: lastTimestamp, else eventTime, firstTimestamp, creation.</summary>
    public static DateTime When(Corev1Event e) =>
        e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp ?? DateTime.MinValue;

    private static string Key(string? kind, string? ns, string name) => (kind ?? "") + "/" + (ns ?? "") + "/" + name;
}
