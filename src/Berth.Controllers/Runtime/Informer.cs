using Berth.Controllers.Client;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Runtime;

/// <summary>
/// A shared informer (client-go's reflector + indexer): list, then watch from the list's resourceVersion into an
/// in-memory cache; a watch that ends is resumed from the last seen revision, a 410 Expired re-lists (and diffs the
/// new list against the cache so handlers see adds, updates and deletes). Cached objects are shared and must be
/// treated as immutable: copy with <see cref="ModelCopy"/> before changing one.
/// </summary>
internal sealed class Informer<T> : IInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal);
    private readonly List<IInformerHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly TimeSpan _resync;

    public Informer(IApiClient client, TimeProvider time, TimeSpan resync = default)
    {
        _client = client;
        _time = time;
        _resync = resync;
        AddIndexer(IndexNames.Namespace, o => [o.Metadata.NamespaceProperty ?? string.Empty]);
    }

    public Task Synced => _synced.Task;

    /// <summary>How many times the informer listed (1 + re-lists after 410); tests observe recovery with it.</summary>
    public int ListCount { get; private set; }

    public void AddHandler(IInformerHandler<T> handler)
    {
        lock (_gate)
        {
            _handlers.Add(handler);
            foreach (var item in _items.Values)
            {
                handler.OnAdd(item);
            }
        }
    }

    public void AddIndexer(string name, Func<T, IEnumerable<string>> indexer)
    {
        lock (_gate)
        {
            _indexers[name] = indexer;
            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            _indexes[name] = index;
            foreach (var (key, item) in _items)
            {
                foreach (var v in indexer(item))
                {
                    Bucket(index, v).Add(key);
                }
            }
        }
    }

    public T? Get(string? ns, string name)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(ObjectKeys.Of(ns, name));
        }
    }

    public T? GetByKey(string key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public List<T> List()
    {
        lock (_gate)
        {
            return [.. _items.Values];
        }
    }

    public List<T> ByIndex(string indexName, string value)
    {
        lock (_gate)
        {
            if (!_indexes[indexName].TryGetValue(value, out var keys))
            {
                return [];
            }

            var result = new List<T>(keys.Count);
            foreach (var k in keys)
            {
                result.Add(_items[k]);
            }

            return result;
        }
    }

    public List<T> ListNamespace(string? ns) => ByIndex(IndexNames.Namespace, ns ?? string.Empty);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var resync = _resync > TimeSpan.Zero
            ? _time.CreateTimer(_ => Resync(), null, _resync, _resync)
            : null;
        var backoff = TimeSpan.FromMilliseconds(100);
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await _client.ListAsync<T>(null, null, cancellationToken).ConfigureAwait(false);
                    Replace(list.Items);
                    ListCount++;
                    resourceVersion = list.ResourceVersion;
                    _synced.TrySetResult();
                }

                await foreach (var e in _client.WatchAsync<T>(null, resourceVersion, cancellationToken).ConfigureAwait(false))
                {
                    resourceVersion = e.Object.Metadata?.ResourceVersion ?? resourceVersion;
                    Apply(e);
                }

                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (ApiException e) when (e.IsExpired)
            {
                // 410: our revision was compacted away; only a fresh list can restore a consistent cache.
                resourceVersion = null;
            }
#pragma warning disable CA1031 // an informer must outlive any transient error; it backs off and retries
            catch (Exception)
#pragma warning restore CA1031
            {
                try
                {
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                resourceVersion = null;
            }
        }
    }

    private void Apply(ApiWatchEvent<T> e)
    {
        lock (_gate)
        {
            var key = ObjectKeys.Of(e.Object);
            switch (e.Type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    if (_items.TryGetValue(key, out var old))
                    {
                        Store(key, e.Object, old);
                        foreach (var h in _handlers)
                        {
                            h.OnUpdate(old, e.Object);
                        }
                    }
                    else
                    {
                        Store(key, e.Object, null);
                        foreach (var h in _handlers)
                        {
                            h.OnAdd(e.Object);
                        }
                    }

                    break;
                case WatchEventType.Deleted:
                    if (_items.TryGetValue(key, out var gone))
                    {
                        Remove(key, gone);
                    }

                    foreach (var h in _handlers)
                    {
                        h.OnDelete(e.Object);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private void Replace(IReadOnlyList<T> items)
    {
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var key = ObjectKeys.Of(item);
                seen.Add(key);
                if (_items.TryGetValue(key, out var old))
                {
                    Store(key, item, old);
                    if (old.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
                    {
                        foreach (var h in _handlers)
                        {
                            h.OnUpdate(old, item);
                        }
                    }
                }
                else
                {
                    Store(key, item, null);
                    foreach (var h in _handlers)
                    {
                        h.OnAdd(item);
                    }
                }
            }

            foreach (var (key, old) in _items.Where(kv => !seen.Contains(kv.Key)).ToList())
            {
                Remove(key, old);
                foreach (var h in _handlers)
                {
                    h.OnDelete(old);
                }
            }
        }
    }

    private void Resync()
    {
        lock (_gate)
        {
            foreach (var item in _items.Values)
            {
                foreach (var h in _handlers)
                {
                    h.OnUpdate(item, item);
                }
            }
        }
    }

    private void Store(string key, T item, T? old)
    {
        if (old is not null)
        {
            Unindex(key, old);
        }

        _items[key] = item;
        foreach (var (name, indexer) in _indexers)
        {
            foreach (var v in indexer(item))
            {
                Bucket(_indexes[name], v).Add(key);
            }
        }
    }

    private void Remove(string key, T old)
    {
        Unindex(key, old);
        _items.Remove(key);
    }

    private void Unindex(string key, T old)
    {
        foreach (var (name, indexer) in _indexers)
        {
            var index = _indexes[name];
            foreach (var v in indexer(old))
            {
                if (index.TryGetValue(v, out var set))
                {
                    set.Remove(key);
                    if (set.Count == 0)
                    {
                        index.Remove(v);
                    }
                }
            }
        }
    }

    private static HashSet<string> Bucket(Dictionary<string, HashSet<string>> index, string value)
    {
        if (!index.TryGetValue(value, out var set))
        {
            set = new HashSet<string>(StringComparer.Ordinal);
            index[value] = set;
        }

        return set;
    }
}
