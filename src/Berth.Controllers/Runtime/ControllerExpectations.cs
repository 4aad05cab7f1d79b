namespace Berth.Controllers.Runtime;

/// <summary>
/// UIDTrackingExpectations-style bookkeeping (pkg/controller/controller_utils.go): after a sync issues creates or
/// deletes, it records the object names it expects to see; until the informer has observed all of them (or the
/// expectations expire after 5 minutes) the controller does not act on its stale cache again. This is what
/// prevents double creates when a sync runs before the watch has delivered the previous sync's writes.
/// </summary>
internal sealed class ControllerExpectations(TimeProvider time)
{
    /// <summary>Upstream's ExpectationsTimeout.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public void ExpectCreations(string controllerKey, IEnumerable<string> names) => Expect(controllerKey, names, creations: true);

    public void ExpectDeletions(string controllerKey, IEnumerable<string> names) => Expect(controllerKey, names, creations: false);

    /// <summary>The informer saw the object (or the create failed, so it will never appear).</summary>
    public void CreationObserved(string controllerKey, string name) => Observe(controllerKey, name, creations: true);

    /// <summary>The informer saw the object terminating or gone (or the delete failed).</summary>
    public void DeletionObserved(string controllerKey, string name) => Observe(controllerKey, name, creations: false);

    public bool Satisfied(string controllerKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(controllerKey, out var e))
            {
                return true;
            }

            if ((e.Creations.Count == 0 && e.Deletions.Count == 0) || time.GetElapsedTime(e.Timestamp) > Timeout)
            {
                _entries.Remove(controllerKey);
                return true;
            }

            return false;
        }
    }

    public void Delete(string controllerKey)
    {
        lock (_gate)
        {
            _entries.Remove(controllerKey);
        }
    }

    private void Expect(string controllerKey, IEnumerable<string> names, bool creations)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(controllerKey, out var e))
            {
                e = new Entry();
                _entries[controllerKey] = e;
            }

            e.Timestamp = time.GetTimestamp();
            (creations ? e.Creations : e.Deletions).UnionWith(names);
        }
    }

    private void Observe(string controllerKey, string name, bool creations)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(controllerKey, out var e))
            {
                (creations ? e.Creations : e.Deletions).Remove(name);
            }
        }
    }

    private sealed class Entry
    {
        public HashSet<string> Creations { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Deletions { get; } = new(StringComparer.Ordinal);

        public long Timestamp { get; set; }
    }
}
