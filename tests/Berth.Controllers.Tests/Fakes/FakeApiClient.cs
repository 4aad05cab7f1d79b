using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Berth.Controllers.Client;
using Berth.Core;
using Berth.Core.Selectors;
using Berth.Serialization;
using Berth.Serialization.Patching;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Tests.Fakes;

/// <summary>
/// An in-memory API for controller tests and the sts benchmark: objects kept as JSON bytes (no aliasing), one
/// global resourceVersion, optimistic concurrency (409 Conflict), AlreadyExists, generateName, uid,
/// creationTimestamp, generation on spec change, the status subresource, deletionTimestamp with finalizers,
/// propagationPolicy finalizers (orphan, foregroundDeletion), graceful pod deletion, watch from a revision with
/// 410 Expired after <see cref="Compact"/>, merge and JSON patches, and a recorder of every call. A reactor can
/// make chosen calls fail, like client-go's fake PrependReactor.
/// </summary>
public sealed class FakeApiClient : ITestApi
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _objects = new(StringComparer.Ordinal);
    private readonly List<Change> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<FakeAction> _actions = [];
    private readonly TimeProvider _time;
    private long _revision;
    private long _compacted;
    private int _uidCounter;

    public FakeApiClient(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Return an exception to fail the call (before it has any effect), or null to let it through.</summary>
    public Func<FakeAction, object?, ApiException?>? Reactor { get; set; }

    /// <summary>Keep the recorder off for benchmarks.</summary>
    public bool RecordActions { get; set; } = true;

    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    public IReadOnlyList<FakeAction> Actions
    {
        get
        {
            lock (_gate)
            {
                return [.. _actions];
            }
        }
    }

    public void ClearActions()
    {
        lock (_gate)
        {
            _actions.Clear();
        }
    }

    /// <summary>Forgets history up to the current revision: watches from older revisions get 410 Expired.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compacted = _revision;
            _history.Clear();
        }
    }

    /// <summary>Ends every open watch (as a server restart or timeout would); informers resume from their revision.</summary>
    public void CloseWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watchers)
            {
                w.Channel.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }

    public Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            var meta = obj.Metadata ?? throw ApiException.Invalid(d.Kind, "", "metadata: Required value");
            var ns = d.Namespaced ? meta.NamespaceProperty ?? "default" : null;
            var name = meta.Name;
            if (string.IsNullOrEmpty(name) && !string.IsNullOrEmpty(meta.GenerateName))
            {
                name = meta.GenerateName + Suffix();
            }

            if (string.IsNullOrEmpty(name))
            {
                throw ApiException.Invalid(d.Kind, "", "metadata.name: Required value: name or generateName is required");
            }

            React(new FakeAction("create", d.Plural, ns, name), obj);
            var key = d.Key(ns, name);
            if (_objects.ContainsKey(key))
            {
                throw ApiException.AlreadyExists(d.QualifiedResource, name);
            }

            var node = ToNode(obj);
            var m = node["metadata"]!.AsObject();
            m["name"] = name;
            if (ns is not null)
            {
                m["namespace"] = ns;
            }

            m["uid"] = NewUid();
            m["creationTimestamp"] = Timestamp();
            m.Remove("deletionTimestamp");
            m.Remove("deletionGracePeriodSeconds");
            node["apiVersion"] = d.ApiVersion;
            node["kind"] = d.Kind;
            if (node["spec"] is not null)
            {
                m["generation"] = 1;
            }

            Defaults(d, node);
            var stored = Commit(d, key, ns, node, WatchEventType.Added);
            return Task.FromResult(Decode<T>(stored));
        }
    }

    public Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            React(new FakeAction("get", d.Plural, ns, name), null);
            return Task.FromResult(_objects.TryGetValue(d.Key(ns, name), out var e) ? Decode<T>(e.Json) : null);
        }
    }

    public Task<ApiList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        var selector = LabelSelector.Parse(labelSelector);
        lock (_gate)
        {
            React(new FakeAction("list", d.Plural, ns, ""), null);
            var prefix = d.ListPrefix(ns);
            var items = new List<T>();
            foreach (var (key, e) in _objects)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var item = Decode<T>(e.Json);
                    if (selector.Matches(item.Metadata.Labels))
                    {
                        items.Add(item);
                    }
                }
            }

            return Task.FromResult(new ApiList<T>(items, _revision.ToString(CultureInfo.InvariantCulture)));
        }
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate)
        {
            return Task.FromResult(Decode<T>(Update(ResourceOf<T>.Descriptor, ToNode(obj), status: false, "update", obj)));
        }
    }

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate)
        {
            return Task.FromResult(Decode<T>(Update(ResourceOf<T>.Descriptor, ToNode(obj), status: true, "update", obj)));
        }
    }

    public Task<T> PatchAsync<T>(string? ns, string name, PatchType patchType, ReadOnlyMemory<byte> patch,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            React(new FakeAction("patch", d.Plural, ns, name), null);
            if (!_objects.TryGetValue(d.Key(ns, name), out var e))
            {
                throw ApiException.NotFound(d.QualifiedResource, name);
            }

            var original = JsonNode.Parse(e.Json);
            var patchNode = JsonNode.Parse(patch.Span);
            var patched = patchType switch
            {
                PatchType.Merge => JsonMergePatch.Apply(original, patchNode),
                PatchType.Json => JsonPatch.Apply(original, patchNode),
                _ => StrategicMergePatch.Apply(original, patchNode, typeof(T)),
            };
            return Task.FromResult(Decode<T>(Update(d, patched!.AsObject(), status: false, null, null)));
        }
    }

    public Task DeleteAsync<T>(string? ns, string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            React(new FakeAction("delete", d.Plural, ns, name), options);
            var key = d.Key(ns, name);
            if (!_objects.TryGetValue(key, out var e))
            {
                throw ApiException.NotFound(d.QualifiedResource, name);
            }

            if (options?.Preconditions?.Uid is { } uid && uid != e.Uid)
            {
                throw ApiException.Conflict(d.QualifiedResource, name,
                    $"Precondition failed: UID in precondition: {uid}, UID in object meta: {e.Uid}");
            }

            var node = JsonNode.Parse(e.Json)!.AsObject();
            var m = node["metadata"]!.AsObject();
            var finalizers = m["finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [];
            var changed = false;
            switch (options?.PropagationPolicy)
            {
                case "Orphan" when !finalizers.Contains("orphan"):
                    finalizers.Add("orphan");
                    changed = true;
                    break;
                case "Foreground" when !finalizers.Contains("foregroundDeletion"):
                    finalizers.Add("foregroundDeletion");
                    changed = true;
                    break;
                default:
                    break;
            }

            // Graceful pod deletion (pod strategy CheckGracefulDelete): a scheduled, non-terminal pod gets a
            // deletionTimestamp and waits for its kubelet to delete it with grace 0.
            long grace = 0;
            if (d.Kind == "Pod")
            {
                var phase = node["status"]?["phase"]?.GetValue<string>();
                var scheduled = !string.IsNullOrEmpty(node["spec"]?["nodeName"]?.GetValue<string>());
                if (scheduled && phase is not "Failed" and not "Succeeded")
                {
                    grace = options?.GracePeriodSeconds ?? node["spec"]?["terminationGracePeriodSeconds"]?.GetValue<long>() ?? 30;
                    if (m["deletionGracePeriodSeconds"] is { } existing)
                    {
                        grace = Math.Min(grace, existing.GetValue<long>());
                    }
                }
            }

            if (finalizers.Count == 0 && grace == 0)
            {
                RemoveObject(d, key, e);
                return Task.CompletedTask;
            }

            if (m["deletionTimestamp"] is null)
            {
                m["deletionTimestamp"] = Timestamp(TimeSpan.FromSeconds(grace));
                changed = true;
            }

            if (d.Kind == "Pod" && m["deletionGracePeriodSeconds"]?.GetValue<long>() != grace)
            {
                m["deletionGracePeriodSeconds"] = grace;
                changed = true;
            }

            m["finalizers"] = finalizers.Count == 0 ? null : new JsonArray([.. finalizers.Select(f => (JsonNode)f)]);
            if (finalizers.Count == 0)
            {
                m.Remove("finalizers");
            }

            if (changed)
            {
                Commit(d, key, e.Namespace, node, WatchEventType.Modified);
            }

            return Task.CompletedTask;
        }
    }

    public Task BindAsync(V1Binding binding, CancellationToken cancellationToken = default)
    {
        var d = ResourceOf<V1Pod>.Descriptor;
        var ns = binding.Metadata.NamespaceProperty ?? "default";
        var name = binding.Metadata.Name;
        lock (_gate)
        {
            React(new FakeAction("create", d.Plural, ns, name, "binding"), binding);
            var key = d.Key(ns, name);
            if (!_objects.TryGetValue(key, out var e))
            {
                throw ApiException.NotFound(d.QualifiedResource, name);
            }

            var node = JsonNode.Parse(e.Json)!.AsObject();
            if (!string.IsNullOrEmpty(node["spec"]?["nodeName"]?.GetValue<string>()))
            {
                throw ApiException.Conflict(d.QualifiedResource, name, "pod " + name + " is already assigned to node \"" + node["spec"]!["nodeName"] + "\"");
            }

            if (node["metadata"]!["deletionTimestamp"] is not null)
            {
                throw ApiException.Conflict(d.QualifiedResource, name, "pod " + name + " is being deleted, cannot be assigned to a host");
            }

            node["spec"]!["nodeName"] = binding.Target.Name;
            var status = (node["status"] ??= new JsonObject()).AsObject();
            var conditions = (status["conditions"] ??= new JsonArray()).AsArray();
            foreach (var c in conditions.Where(c => c?["type"]?.GetValue<string>() == "PodScheduled").ToList())
            {
                conditions.Remove(c);
            }

            conditions.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastTransitionTime"] = Timestamp() });
            Commit(d, key, ns, node, WatchEventType.Modified);
            return Task.CompletedTask;
        }
    }

    public async IAsyncEnumerable<ApiWatchEvent<T>> WatchAsync<T>(string? ns, string resourceVersion,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        var from = long.Parse(resourceVersion, CultureInfo.InvariantCulture);
        var watcher = new Watcher(d.Plural, ns, Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true }));
        lock (_gate)
        {
            if (from < _compacted)
            {
                throw ApiException.Expired($"too old resource version: {from} ({_compacted})");
            }

            foreach (var c in _history)
            {
                if (c.Revision > from && watcher.Wants(c))
                {
                    watcher.Channel.Writer.TryWrite(c);
                }
            }

            _watchers.Add(watcher);
        }

        try
        {
            await foreach (var c in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new ApiWatchEvent<T>(c.Type, Decode<T>(c.Json));
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    /// <summary>Test helper: every stored object of a type, not recorded as an action.</summary>
    public List<T> All<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            var prefix = d.ListPrefix(ns);
            return [.. _objects.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => Decode<T>(kv.Value.Json))];
        }
    }

    /// <summary>Test helper: one object or null, not recorded as an action.</summary>
    public T? Peek<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        lock (_gate)
        {
            return _objects.TryGetValue(d.Key(ns, name), out var e) ? Decode<T>(e.Json) : null;
        }
    }

    private byte[] Update(ResourceDescriptor d, JsonObject node, bool status, string? verb, object? body)
    {
        var m = node["metadata"]?.AsObject() ?? throw ApiException.Invalid(d.Kind, "", "metadata: Required value");
        var name = m["name"]?.GetValue<string>() ?? string.Empty;
        var ns = d.Namespaced ? m["namespace"]?.GetValue<string>() ?? "default" : null;
        if (verb is not null)
        {
            React(new FakeAction(verb, d.Plural, ns, name, status ? "status" : null), body);
        }

        var key = d.Key(ns, name);
        if (!_objects.TryGetValue(key, out var e))
        {
            throw ApiException.NotFound(d.QualifiedResource, name);
        }

        var rv = m["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(rv) && rv != e.Revision.ToString(CultureInfo.InvariantCulture))
        {
            throw ApiException.Conflict(d.QualifiedResource, name, "the object has been modified; please apply your changes to the latest version and try again");
        }

        var uid = m["uid"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(uid) && uid != e.Uid)
        {
            throw ApiException.Conflict(d.QualifiedResource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {e.Uid}");
        }

        var old = JsonNode.Parse(e.Json)!.AsObject();
        var oldMeta = old["metadata"]!.AsObject();
        JsonObject result;
        if (status)
        {
            // The status subresource changes status only.
            result = old.DeepClone().AsObject();
            result["status"] = node["status"]?.DeepClone();
        }
        else
        {
            result = node.DeepClone().AsObject();
            var hasStatusSubresource = d.Subresources.Any(s => s.Name == "status");
            if (hasStatusSubresource && d.Kind != "Pod")
            {
                result["status"] = old["status"]?.DeepClone();
            }

            var rm = result["metadata"]!.AsObject();
            foreach (var immutable in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace" })
            {
                rm[immutable] = oldMeta[immutable]?.DeepClone();
            }

            if (old["spec"] is { } oldSpec && !JsonNode.DeepEquals(oldSpec, result["spec"]))
            {
                rm["generation"] = (oldMeta["generation"]?.GetValue<long>() ?? 0) + 1;
            }

            result["apiVersion"] = d.ApiVersion;
            result["kind"] = d.Kind;
            Defaults(d, result);
        }

        // An object being deleted goes away once its last finalizer is removed (and no grace period is pending).
        var rmeta = result["metadata"]!.AsObject();
        if (rmeta["deletionTimestamp"] is not null
            && (rmeta["finalizers"] is null || rmeta["finalizers"]!.AsArray().Count == 0)
            && (rmeta["deletionGracePeriodSeconds"]?.GetValue<long>() ?? 0) == 0)
        {
            rmeta.Remove("finalizers");
            RemoveObject(d, key, e);
            return JsonToBytes(result);
        }

        if (JsonNode.DeepEquals(old, WithRevision(result, e.Revision)))
        {
            // A no-op write keeps the revision, as upstream.
            return e.Json;
        }

        return Commit(d, key, ns, result, WatchEventType.Modified);
    }

    private static JsonObject WithRevision(JsonObject node, long revision)
    {
        var clone = node.DeepClone().AsObject();
        clone["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return clone;
    }

    private byte[] Commit(ResourceDescriptor d, string key, string? ns, JsonObject node, WatchEventType type)
    {
        var revision = ++_revision;
        node["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        var json = JsonToBytes(node);
        _objects[key] = new Entry(json, revision, node["metadata"]!["uid"]!.GetValue<string>(), ns);
        Publish(new Change(revision, d.Plural, ns, type, json));
        return json;
    }

    private void RemoveObject(ResourceDescriptor d, string key, Entry e)
    {
        _objects.Remove(key);
        var revision = ++_revision;
        var node = JsonNode.Parse(e.Json)!.AsObject();
        node["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        Publish(new Change(revision, d.Plural, e.Namespace, WatchEventType.Deleted, JsonToBytes(node)));
    }

    private void Publish(Change c)
    {
        _history.Add(c);
        if (_history.Count > 200_000)
        {
            _compacted = _history[100_000].Revision;
            _history.RemoveRange(0, 100_001);
        }

        foreach (var w in _watchers)
        {
            if (w.Wants(c))
            {
                w.Channel.Writer.TryWrite(c);
            }
        }
    }

    private void React(FakeAction action, object? body)
    {
        if (RecordActions)
        {
            _actions.Add(action);
        }

        if (Reactor?.Invoke(action, body) is { } error)
        {
            throw error;
        }
    }

    /// <summary>The apps/v1 and core/v1 defaults the controllers rely on (a subset of upstream defaulting).</summary>
    private static void Defaults(ResourceDescriptor d, JsonObject node)
    {
        if (d.Kind == "Pod")
        {
            node["status"] ??= new JsonObject();
            node["status"]!["phase"] ??= "Pending";
            return;
        }

        if (d.Kind != "StatefulSet" || node["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["replicas"] ??= 1;
        spec["podManagementPolicy"] ??= "OrderedReady";
        spec["revisionHistoryLimit"] ??= 10;
        if (spec["updateStrategy"] is null)
        {
            spec["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } };
        }
        else if (spec["updateStrategy"]!["rollingUpdate"] is JsonObject ru)
        {
            ru["partition"] ??= 0;
        }

        spec["persistentVolumeClaimRetentionPolicy"] ??= new JsonObject();
        spec["persistentVolumeClaimRetentionPolicy"]!["whenDeleted"] ??= "Retain";
        spec["persistentVolumeClaimRetentionPolicy"]!["whenScaled"] ??= "Retain";
    }

    private string NewUid() => $"00000000-0000-0000-0000-{++_uidCounter:x12}";

    private string Suffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var n = (uint)_uidCounter * 2654435761u + (uint)_revision;
        var chars = new char[5];
        for (var i = 0; i < 5; i++)
        {
            chars[i] = alphabet[(int)(n % (uint)alphabet.Length)];
            n /= (uint)alphabet.Length;
        }

        return new string(chars);
    }

    private string Timestamp(TimeSpan offset = default) =>
        (_time.GetUtcNow() + offset).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject ToNode<T>(T obj) => JsonNode.Parse(BerthJson.SerializeToUtf8Bytes(obj))!.AsObject();

    private static byte[] JsonToBytes(JsonNode node) => System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());

    private static T Decode<T>(byte[] json) => BerthJson.Deserialize<T>(json)!;

    private sealed record Entry(byte[] Json, long Revision, string Uid, string? Namespace);

    private sealed record Change(long Revision, string Plural, string? Namespace, WatchEventType Type, byte[] Json);

    private sealed record Watcher(string Plural, string? Namespace, Channel<Change> Channel)
    {
        public bool Wants(Change c) => c.Plural == Plural && (Namespace is null || c.Namespace == Namespace);
    }
}
