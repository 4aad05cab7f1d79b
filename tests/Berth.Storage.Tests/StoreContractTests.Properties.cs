using System.Globalization;
using FsCheck.Xunit;
using static Berth.Storage.Tests.StoreAssert;

namespace Berth.Storage.Tests;

public abstract partial class StoreContractTests
{
    /// <summary>
    /// Random create/update/stale-update/delete sequences over five keys against a dictionary model: every
    /// result and error matches, the state at every revision lists as the model had it, and a watch from
    /// every revision replays exactly the changes after it.
    /// </summary>
    [Property(MaxTest = 30)]
    public async Task<bool> Random_operation_sequences_match_a_simple_model(byte[] ops)
    {
        await using var store = await OpenAsync(new StoreTestOptions { CacheHistory = 8 });
        var model = new SortedDictionary<string, (string Data, long Create, long Mod)>(StringComparer.Ordinal);
        var history = new List<SortedDictionary<string, (string Data, long Create, long Mod)>> { new(model, StringComparer.Ordinal) };
        var changes = new List<(WatchEventType Type, string Key, string Data, string? Previous, long Revision)>();
        var revision = 0L;
        for (var i = 0; i < ops.Length; i++)
        {
            var key = Pods + "k" + ((ops[i] >> 2) % 5).ToString(CultureInfo.InvariantCulture);
            var data = i.ToString(CultureInfo.InvariantCulture);
            var exists = model.TryGetValue(key, out var old);
            StoreErrorCode? expected = null;
            KeyValue? got = null;
            StoreException? error = null;
            try
            {
                switch (ops[i] & 3)
                {
                    case 0:
                        expected = exists ? StoreErrorCode.KeyExists : null;
                        got = await store.CreateAsync(key, Obj.ConfigMap("x", data), Ct);
                        break;
                    case 1:
                        expected = exists ? null : StoreErrorCode.NotFound;
                        got = await store.UpdateAsync(key, Obj.ConfigMap("x", data), new Preconditions(exists ? old.Mod : 1), Ct);
                        break;
                    case 2:
                        expected = exists ? StoreErrorCode.Conflict : StoreErrorCode.NotFound;
                        got = await store.UpdateAsync(key, Obj.ConfigMap("x", data), new Preconditions(old.Mod + 1000), Ct);
                        break;
                    default:
                        expected = exists ? null : StoreErrorCode.NotFound;
                        got = await store.DeleteAsync(key, Preconditions.None, Ct);
                        break;
                }
            }
            catch (StoreException e)
            {
                error = e;
            }

            if (error?.Code != expected)
            {
                return false;
            }

            if (got is not { } kv)
            {
                continue;
            }

            revision++;
            if (kv.ModRevision != revision || Obj.ResourceVersion(kv) != revision.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }

            switch (ops[i] & 3)
            {
                case 0:
                    model[key] = (data, revision, revision);
                    changes.Add((WatchEventType.Added, key, data, null, revision));
                    break;
                case 3:
                    model.Remove(key);
                    changes.Add((WatchEventType.Deleted, key, old.Data, old.Data, revision));
                    break;
                default:
                    model[key] = (data, old.Create, revision);
                    changes.Add((WatchEventType.Modified, key, data, old.Data, revision));
                    break;
            }

            if (kv.CreateRevision != model.GetValueOrDefault(key, (old.Data, old.Create, 0)).Create)
            {
                return false;
            }

            history.Add(new(model, StringComparer.Ordinal));
        }

        if (store.CurrentRevision != revision)
        {
            return false;
        }

        for (var at = 1L; at <= revision; at++)
        {
            var list = await store.ListAsync(Pods, new ListOptions { ResourceVersion = at.ToString(CultureInfo.InvariantCulture), Match = ResourceVersionMatch.Exact, Limit = 2 }, Ct);
            var items = new List<KeyValue>(list.Items);
            while (list.Continue is not null)
            {
                list = await store.ListAsync(Pods, new ListOptions { Limit = 2, Continue = list.Continue }, Ct);
                items.AddRange(list.Items);
            }

            var expectedAt = history[(int)at].Select(p => (p.Key, p.Value.Data, p.Value.Create, p.Value.Mod));
            if (!items.Select(i => (i.Key, Obj.Data(i), i.CreateRevision, i.ModRevision)).SequenceEqual(expectedAt))
            {
                return false;
            }

            var events = await CollectAsync(store, Pods, at, revision);
            var replay = events.Select(e => (e.Type, e.Current.Key, Obj.Data(e.Current), e.Previous is { } p ? Obj.Data(p) : null, e.Revision));
            if (!replay.SequenceEqual(changes.Where(c => c.Revision > at)))
            {
                return false;
            }
        }

        return true;
    }
}
