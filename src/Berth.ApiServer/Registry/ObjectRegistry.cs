using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Admission;
using Berth.ApiServer.Http;
using Berth.Core;
using Berth.Serialization;
using Berth.Serialization.Patching.Apply;
using Berth.Storage;
using k8s.Models;

namespace Berth.ApiServer.Registry;

/// <summary>
/// The generic registry over <see cref="ResourceCatalog"/> (upstream's genericregistry.Store plus the per-kind
/// strategies Berth needs): create, update, guaranteed update (patch, subresources), graceful delete and list,
/// on JSON bytes. The HTTP handlers and the in-process client both go through here, so both get the same
/// validation, conflicts and resourceVersions.
/// </summary>
internal sealed class ObjectRegistry
{
    /// <summary>Namespaces upstream's NamespaceLifecycle admission creates and never lets anyone delete.</summary>
    public static readonly string[] SystemNamespaces = ["default", "kube-system", "kube-public"];

    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly TimeProvider _time;

    public ObjectRegistry(IStore store, TimeProvider time, bool garbageCollectorEnabled, string serviceCidr = ClusterIpAllocator.DefaultCidr)
    {
        Store = store;
        _time = time;
        GarbageCollectorEnabled = garbageCollectorEnabled;
        ClusterIps = new ClusterIpAllocator(serviceCidr);
    }

    public IStore Store { get; }

    /// <summary>Service cluster IPs (the service CIDR).</summary>
    public ClusterIpAllocator ClusterIps { get; }

    public TimeProvider Time => _time;

    /// <summary>
    /// When false (no garbage collector running), Orphan and Foreground deletes remove the object at once
    /// instead of parking it behind the orphan/foregroundDeletion finalizers nobody would remove.
    /// </summary>
    public bool GarbageCollectorEnabled { get; set; }

    public async Task EnsureSystemNamespacesAsync(CancellationToken cancellationToken)
    {
        var namespaces = ResourceCatalog.Find("", "v1", "namespaces")!;
        foreach (var name in (string[])[.. SystemNamespaces, "kube-node-lease"])
        {
            if (await Store.GetAsync(namespaces.Key(null, name), cancellationToken).ConfigureAwait(false) is null)
            {
                var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } };
                try
                {
                    await CreateAsync(namespaces, null, body, new WriteOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
                {
                    // Another server on the same store made it first.
                }
            }
        }
    }

    public async ValueTask<KeyValue> GetAsync(ResourceDescriptor resource, string? ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Store.GetAsync(resource.Key(ns, name), cancellationToken).ConfigureAwait(false)
                ?? throw Errors.NotFound(resource, name);
        }
        catch (StoreException e)
        {
            throw StoreErrors.Map(e, resource, name);
        }
    }

    public async ValueTask<ListResult> ListAsync(ResourceDescriptor resource, string? ns, ListOptions options, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(options.ResourceVersion)
            && (!long.TryParse(options.ResourceVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            // upstream storage.ParseResourceVersion → 400
            throw Errors.BadRequest($"invalid resource version: \"{options.ResourceVersion}\"");
        }

        try
        {
            return await Store.ListAsync(resource.ListPrefix(ns), options, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw StoreErrors.Map(e, resource, "");
        }
    }

    /// <summary>
    /// Create from a JSON body as received. A plain object (<see cref="ModelCodec.IsPlainObject"/>: what clients that
    /// encode models send) decodes straight into the model; anything else, and any body that does not decode, goes
    /// through the JSON tree so bad input gets the same checks, in the same order, with upstream's messages.
    /// </summary>
    public ValueTask<KeyValue> CreateAsync(ResourceDescriptor resource, string? ns, ReadOnlyMemory<byte> json, WriteOptions options,
        CancellationToken cancellationToken)
    {
        if (ModelCodec.IsPlainObject(resource.ModelType, json.Span) && ModelCodec.TryDecode(resource, json.Span) is { } model)
        {
            return CreateDecodedAsync(resource, ns, model, options, cancellationToken);
        }

        return CreateAsync(resource, ns, RequestBody.ParseJsonObject(json.Span, resource.Kind), options, cancellationToken);
    }

    public ValueTask<KeyValue> CreateAsync(ResourceDescriptor resource, string? ns, JsonObject body, WriteOptions options,
        CancellationToken cancellationToken)
    {
        // upstream's decoder checks the type meta, the handler the namespace and resourceVersion, then strict decoding
        // reports unknown fields: all before the object is decoded into its type.
        CheckTypeMeta(resource, body);
        var meta = JsonMeta.Metadata(body);
        ns = CheckNamespace(resource, ns, JsonMeta.String(meta, "namespace"));
        if (JsonMeta.String(meta, "resourceVersion") is { Length: > 0 })
        {
            throw ResourceVersionOnCreate();
        }

        CheckUnknownFields(resource, body, options);
        return CreateDecodedAsync(resource, ns, ModelCodec.Decode(resource, body), options, cancellationToken);
    }

    /// <summary>
    /// The create pipeline from the decoded model on: upstream rest.BeforeCreate (system metadata, the strategy's
    /// PrepareForCreate), admission (defaulting, create-time plugins, validation), the field manager, the store.
    /// </summary>
    private async ValueTask<KeyValue> CreateDecodedAsync(ResourceDescriptor resource, string? ns, object model, WriteOptions options,
        CancellationToken cancellationToken)
    {
        var typed = model as k8s.IKubernetesObject<V1ObjectMeta> ?? throw new InvalidOperationException($"{resource.Kind} has no object metadata");
        CheckTypeMeta(resource, typed.ApiVersion, typed.Kind);
        var meta = typed.Metadata ??= new V1ObjectMeta();
        ns = CheckNamespace(resource, ns, meta.NamespaceProperty);
        if (meta.ResourceVersion is { Length: > 0 })
        {
            throw ResourceVersionOnCreate();
        }

        var name = meta.Name ?? "";
        var generateName = meta.GenerateName ?? "";
        if (name.Length == 0 && generateName.Length > 0)
        {
            // upstream rest.BeforeCreate: names.SimpleNameGenerator, the prefix cut to leave room for 5 characters;
            // validation (of both) follows in admission.
            name = (generateName.Length > 58 ? generateName[..58] : generateName) + RandomSuffix();
        }

        PrepareForCreate(resource, model);
        if (name.Length > 0)
        {
            meta.Name = name;
        }

        meta.NamespaceProperty = ns;
        meta.Uid = Guid.NewGuid().ToString();
        // metav1.Time: whole seconds.
        var now = _time.GetUtcNow().UtcDateTime;
        meta.CreationTimestamp = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        meta.Generation = 1;
        meta.DeletionTimestamp = null;
        meta.DeletionGracePeriodSeconds = null;
        meta.SelfLink = null;
        meta.ResourceVersion = null;

        AdmitDecoded(resource, model, old: null, subresource: null,
            options.RecordManagedFields ? m => RecordCreate(resource, m, options.FieldManager ?? "") : null);
        if (ns is not null)
        {
            await CheckNamespaceAcceptsContentAsync(ns, cancellationToken).ConfigureAwait(false);
        }

        // Straight from the admitted model to the stored bytes: nothing after admission needs the JSON tree.
        var bytes = ModelCodec.EncodeBytes(resource, model);
        if (resource.Kind == "Service")
        {
            // Cluster IP allocation edits the tree (spec.clusterIP, clusterIPs) before the store sees it.
            return await CreateServiceAsync(resource, ns, name, Parse(bytes), options, cancellationToken).ConfigureAwait(false);
        }

        var key = resource.Key(ns, name);
        if (options.DryRun)
        {
            return new KeyValue(key, bytes, 0, 0);
        }

        try
        {
            return await Store.CreateAsync(key, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw StoreErrors.Map(e, resource, name);
        }
    }

    private static ApiException ResourceVersionOnCreate() => Errors.BadRequest("resourceVersion should not be set on objects to be created");

    /// <summary>
    /// upstream service REST create: the cluster IP is allocated (or the requested one reserved) and the Service stored
    /// under one allocator lock, so concurrent creates never share an address; a failed write gives it back.
    /// </summary>
    private async ValueTask<KeyValue> CreateServiceAsync(ResourceDescriptor resource, string? ns, string name, JsonObject node,
        WriteOptions options, CancellationToken cancellationToken)
    {
        var key = resource.Key(ns, name);
        using var held = await ClusterIps.LockAsync(Store, cancellationToken).ConfigureAwait(false);
        if (!options.DryRun && await Store.GetAsync(key, cancellationToken).ConfigureAwait(false) is not null)
        {
            // AlreadyExists wins over an allocation error, as upstream (the name is checked before the address).
            throw Errors.AlreadyExists(resource, name);
        }

        var spec = node["spec"] as JsonObject ?? new JsonObject();
        node["spec"] = spec;
        var ip = await ClusterIps.AllocateAsync(Store, name, ServiceAddressing.From(spec), options.DryRun, cancellationToken)
            .ConfigureAwait(false);
        if (ip is not null)
        {
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
        }

        var bytes = Serialize(node);
        if (options.DryRun)
        {
            return new KeyValue(key, bytes, 0, 0);
        }

        try
        {
            return await Store.CreateAsync(key, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            ReleaseIfHeld(ip);
            throw StoreErrors.Map(e, resource, name);
        }
        catch
        {
            ReleaseIfHeld(ip);
            throw;
        }
    }

    private void ReleaseIfHeld(string? ip)
    {
        if (ip is not null)
        {
            ClusterIps.Release([ip]);
        }
    }

    /// <summary>After a Service is gone from the store, its cluster IPs are free again (upstream releases on delete).</summary>
    private void AfterDelete(ResourceDescriptor resource, KeyValue deleted)
    {
        if (resource.Kind == "Service")
        {
            ClusterIps.Release(ClusterIpAllocator.ClusterIps(deleted.Value.Span));
        }
    }

    /// <summary>PUT: a full replacement, guarded by metadata.resourceVersion when the body carries one.</summary>
    public ValueTask<KeyValue> UpdateAsync(ResourceDescriptor resource, string? ns, string name, string? subresource,
        JsonObject body, WriteOptions options, CancellationToken cancellationToken)
    {
        CheckTypeMeta(resource, body);
        var meta = JsonMeta.Metadata(body);
        var bodyName = JsonMeta.String(meta, "name") ?? "";
        if (bodyName != name)
        {
            throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        CheckNamespace(resource, ns, JsonMeta.String(meta, "namespace"));
        if (!resource.Namespaced)
        {
            meta.Remove("namespace");
        }

        CheckUnknownFields(resource, body, options);
        // The desired object is the body, whatever is stored: the current object is not copied for it. A status write only
        // reads the body (PrepareForUpdate copies its status onto the stored object), so it needs no copy either; the
        // main resource's write edits the tree it gets, so every attempt gets a fresh copy.
        Func<KeyValue, JsonObject, JsonObject> desired = subresource == "status" ? (_, _) => body : (_, _) => (JsonObject)body.DeepClone();
        return resource.Kind == "Service" && subresource is null
            ? GuaranteedUpdateAsync(resource, ns, name, subresource, options, desired, cancellationToken)
            : GuaranteedUpdateCoreAsync(resource, ns, name, subresource, options, desired, mutateReadsCurrent: false, cancellationToken);
    }

    /// <summary>
    /// Read-modify-write with retries on a concurrent write (upstream GuaranteedUpdate). <paramref name="mutate"/>
    /// gets the current object and returns the desired one; if the desired object carries a resourceVersion
    /// that differs from the current one, that is the caller's precondition and fails with Conflict.
    /// </summary>
    public async ValueTask<KeyValue> GuaranteedUpdateAsync(ResourceDescriptor resource, string? ns, string name, string? subresource,
        WriteOptions options, Func<KeyValue, JsonObject, JsonObject> mutate, CancellationToken cancellationToken)
    {
        if (resource.Kind == "Service" && subresource is null)
        {
            // A Service update may allocate (ExternalName to ClusterIP) or release an address: one at a time.
            using var held = await ClusterIps.LockAsync(Store, cancellationToken).ConfigureAwait(false);
            return await GuaranteedUpdateCoreAsync(resource, ns, name, subresource, options, mutate, mutateReadsCurrent: true, cancellationToken)
                .ConfigureAwait(false);
        }

        return await GuaranteedUpdateCoreAsync(resource, ns, name, subresource, options, mutate, mutateReadsCurrent: true, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <param name="mutateReadsCurrent">False when <paramref name="mutate"/> ignores the current object it is given (a PUT):
    /// it then gets the parsed current object itself, not a copy, and must not change it.</param>
    private async ValueTask<KeyValue> GuaranteedUpdateCoreAsync(ResourceDescriptor resource, string? ns, string name, string? subresource,
        WriteOptions options, Func<KeyValue, JsonObject, JsonObject> mutate, bool mutateReadsCurrent, CancellationToken cancellationToken)
    {
        var key = resource.Key(ns, name);
        var isService = resource.Kind == "Service" && subresource is null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = await GetAsync(resource, ns, name, cancellationToken).ConfigureAwait(false);
            var currentNode = Parse(current.Value);
            // The mutation sees the object without its resourceVersion: one present in the result came from the
            // caller (a PUT body, a patch that sets it) and is a precondition; otherwise conflicts are retried.
            JsonObject input;
            if (mutateReadsCurrent)
            {
                input = (JsonObject)currentNode.DeepClone();
                JsonMeta.Metadata(input).Remove("resourceVersion");
            }
            else
            {
                input = currentNode;
            }

            var desired = mutate(current, input);
            var desiredMeta = JsonMeta.Metadata(desired);
            var rv = JsonMeta.String(desiredMeta, "resourceVersion");
            var preconditioned = !string.IsNullOrEmpty(rv);
            if (preconditioned && rv != current.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                if (!long.TryParse(rv, out _))
                {
                    throw Errors.BadRequest($"invalid resourceVersion: \"{rv}\"");
                }

                throw Errors.Conflict(resource, name, Errors.ModifiedMessage);
            }

            if (isService)
            {
                PatchAllocatedValues(currentNode, desired);
            }

            var final = PrepareForUpdate(resource, current.Value, currentNode, desired, subresource);
            string? allocated = null;
            if (isService && ServiceAddressing.From(final["spec"] as JsonObject).NeedsAddress)
            {
                // ExternalName became a ClusterIP Service: it gets an address now.
                var finalSpec = (JsonObject)final["spec"]!;
                allocated = await ClusterIps.AllocateAsync(Store, name, ServiceAddressing.From(finalSpec), options.DryRun, cancellationToken)
                    .ConfigureAwait(false);
                finalSpec["clusterIP"] = allocated;
                finalSpec["clusterIPs"] = new JsonArray(allocated);
            }

            if (options.RecordManagedFields)
            {
                // upstream's update and patch handlers run the field manager on every write; the live object's
                // resourceVersion is not part of either tree, so equal objects still compare equal below.
                ServerSideApply.RecordUpdateInPlace(currentNode, final, options.FieldManager ?? "", resource.ModelType,
                    _time.GetUtcNow().UtcDateTime, subresource ?? options.ManagedFieldsSubresource);
            }

            if (JsonNode.DeepEquals(final, currentNode))
            {
                // upstream skips a write that changes nothing: same object, same resourceVersion.
                return current;
            }

            var finalMeta = JsonMeta.Metadata(final);
            finalMeta.Remove("resourceVersion");
            var bytes = Serialize(final);
            if (options.DryRun)
            {
                return new KeyValue(key, bytes, current.CreateRevision, current.ModRevision);
            }

            try
            {
                // upstream ShouldDeleteDuringUpdate: the last finalizer of an object being deleted is gone.
                if (finalMeta["deletionTimestamp"] is not null && JsonMeta.Finalizers(finalMeta).Count == 0
                    && (JsonMeta.Long(finalMeta, "deletionGracePeriodSeconds") ?? 0) == 0)
                {
                    var deleted = await Store.DeleteAsync(key, new Preconditions(current.ModRevision), cancellationToken).ConfigureAwait(false);
                    ReleaseIfHeld(allocated);
                    AfterDelete(resource, current);
                    return deleted;
                }

                var updated = await Store.UpdateAsync(key, bytes, new Preconditions(current.ModRevision), cancellationToken).ConfigureAwait(false);
                if (isService)
                {
                    // Addresses the Service held before and no longer does (it became ExternalName) are free again.
                    var now = ClusterIpAllocator.ClusterIps(bytes);
                    ClusterIps.Release(ClusterIpAllocator.ClusterIps(current.Value.Span).Where(ip => !now.Contains(ip)));
                }

                return updated;
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Conflict && !preconditioned)
            {
                // Someone wrote in between: read again and re-apply.
                ReleaseIfHeld(allocated);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Conflict)
            {
                ReleaseIfHeld(allocated);
                throw Errors.Conflict(resource, name, Errors.ModifiedMessage);
            }
            catch (StoreException e)
            {
                ReleaseIfHeld(allocated);
                throw StoreErrors.Map(e, resource, name);
            }
        }
    }

    public async ValueTask<DeleteOutcome> DeleteAsync(ResourceDescriptor resource, string? ns, string name, DeleteRequest request,
        CancellationToken cancellationToken)
    {
        var key = resource.Key(ns, name);
        while (true)
        {
            var current = await GetAsync(resource, ns, name, cancellationToken).ConfigureAwait(false);
            var node = Parse(current.Value);
            var meta = JsonMeta.Metadata(node);
            var uid = JsonMeta.String(meta, "uid");
            if (request.PreconditionUid is { } wantUid && wantUid != uid)
            {
                throw Errors.Conflict(resource, name, $"Precondition failed: UID in precondition: {wantUid}, UID in object meta: {uid}");
            }

            var currentRv = current.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (request.PreconditionResourceVersion is { } wantRv && wantRv != currentRv)
            {
                throw Errors.Conflict(resource, name,
                    $"Precondition failed: ResourceVersion in precondition: {wantRv}, ResourceVersion in object meta: {currentRv}");
            }

            if (resource.Kind == "Namespace")
            {
                return await DeleteNamespaceAsync(resource, current, name, request, cancellationToken).ConfigureAwait(false);
            }

            var grace = GracePeriod(resource, node, request);
            var finalizers = JsonMeta.Finalizers(meta);
            var pendingAlready = meta["deletionTimestamp"] is not null;
            if (GarbageCollectorEnabled && !pendingAlready)
            {
                // upstream deletionFinalizersForGarbageCollection: the garbage collector does the cascading.
                var gcFinalizer = request.PropagationPolicy switch
                {
                    "Orphan" => "orphan",
                    "Foreground" => "foregroundDeletion",
                    _ => null,
                };
                if (gcFinalizer is not null && !finalizers.Contains(gcFinalizer))
                {
                    finalizers.Add(gcFinalizer);
                }
            }

            try
            {
                if (finalizers.Count == 0 && grace == 0)
                {
                    if (request.DryRun)
                    {
                        return new DeleteOutcome(current, true);
                    }

                    var deleted = await Store.DeleteAsync(key, new Preconditions(current.ModRevision), cancellationToken).ConfigureAwait(false);
                    AfterDelete(resource, current);
                    return new DeleteOutcome(deleted, true);
                }

                var existingGrace = JsonMeta.Long(meta, "deletionGracePeriodSeconds");
                if (pendingAlready && (existingGrace is null || grace >= existingGrace))
                {
                    // Already being deleted and the new request does not shorten the grace period.
                    return new DeleteOutcome(current, false);
                }

                var now = _time.GetUtcNow();
                meta["deletionTimestamp"] = JsonMeta.Timestamp(now.AddSeconds(grace));
                meta["deletionGracePeriodSeconds"] = grace;
                JsonMeta.SetFinalizers(meta, finalizers);
                meta.Remove("resourceVersion");
                if (request.DryRun)
                {
                    return new DeleteOutcome(new KeyValue(key, Serialize(node), current.CreateRevision, current.ModRevision), false);
                }

                var updated = await Store.UpdateAsync(key, Serialize(node), new Preconditions(current.ModRevision), cancellationToken)
                    .ConfigureAwait(false);
                return new DeleteOutcome(updated, false);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Conflict)
            {
                // Changed in between: re-evaluate against the new state.
            }
            catch (StoreException e)
            {
                throw StoreErrors.Map(e, resource, name);
            }
        }
    }

    private async ValueTask<DeleteOutcome> DeleteNamespaceAsync(ResourceDescriptor resource, KeyValue current, string name,
        DeleteRequest request, CancellationToken cancellationToken)
    {
        if (SystemNamespaces.Contains(name))
        {
            throw Errors.Forbidden(resource, name, "this namespace may not be deleted");
        }

        if (request.DryRun)
        {
            return new DeleteOutcome(current, true);
        }

        // Berth has no namespace controller: the namespace's content is removed here, at once (force, grace 0),
        // where upstream marks the namespace Terminating and lets the namespace controller empty it. The mark comes
        // first all the same, so that NamespaceLifecycle (CheckNamespaceAcceptsContentAsync) refuses what a
        // controller tries to create meanwhile (a StatefulSet controller re-creating a pod deleted before its set).
        current = await MarkNamespaceTerminatingAsync(current, cancellationToken).ConfigureAwait(false);

        // A create that read the namespace just before the mark may still land: sweep until a pass finds nothing.
        for (var pass = 0; pass < 5; pass++)
        {
            var found = 0;
            foreach (var r in ResourceCatalog.All.Where(r => r.Namespaced))
            {
                var list = await ListAsync(r, name, ListOptions.Default, cancellationToken).ConfigureAwait(false);
                foreach (var item in list.Items)
                {
                    found++;
                    try
                    {
                        await Store.DeleteAsync(item.Key, Preconditions.None, cancellationToken).ConfigureAwait(false);
                        AfterDelete(r, item);
                    }
                    catch (StoreException e) when (e.Code == StoreErrorCode.NotFound)
                    {
                    }
                }
            }

            if (found == 0)
            {
                break;
            }
        }

        try
        {
            var deleted = await Store.DeleteAsync(current.Key, Preconditions.None, cancellationToken).ConfigureAwait(false);
            return new DeleteOutcome(deleted, true);
        }
        catch (StoreException e)
        {
            throw StoreErrors.Map(e, resource, name);
        }
    }

    /// <summary>
    /// upstream namespace deletion: deletionTimestamp set and status.phase Terminating, which the NamespaceLifecycle
    /// check reads to refuse new content. Returns the namespace as stored after the mark.
    /// </summary>
    private async ValueTask<KeyValue> MarkNamespaceTerminatingAsync(KeyValue current, CancellationToken cancellationToken)
    {
        while (true)
        {
            var node = Parse(current.Value);
            var meta = JsonMeta.Metadata(node);
            if (meta["deletionTimestamp"] is not null)
            {
                return current;
            }

            meta["deletionTimestamp"] = JsonMeta.Timestamp(_time.GetUtcNow());
            meta["deletionGracePeriodSeconds"] = 0;
            meta.Remove("resourceVersion");
            if (node["status"] is not JsonObject status)
            {
                node["status"] = status = [];
            }

            status["phase"] = "Terminating";
            try
            {
                return await Store.UpdateAsync(current.Key, Serialize(node), new Preconditions(current.ModRevision), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Code is StoreErrorCode.Conflict)
            {
                current = await Store.GetAsync(current.Key, cancellationToken).ConfigureAwait(false)
                    ?? throw new StoreException(StoreErrorCode.NotFound, "namespace deleted meanwhile");
            }
        }
    }

    /// <summary>
    /// upstream pod strategy CheckGracefulDelete: the request's gracePeriodSeconds, else the pod's
    /// terminationGracePeriodSeconds (default 30); 0 for a pod never scheduled or already finished. Other kinds
    /// are not graceful.
    /// </summary>
    private static long GracePeriod(ResourceDescriptor resource, JsonObject node, DeleteRequest request)
    {
        if (resource.Kind != "Pod")
        {
            return 0;
        }

        var spec = node["spec"] as JsonObject;
        var phase = JsonMeta.String(node["status"], "phase");
        if (string.IsNullOrEmpty(JsonMeta.String(spec, "nodeName")) || phase is "Succeeded" or "Failed")
        {
            return 0;
        }

        var grace = request.GracePeriodSeconds ?? JsonMeta.Long(spec, "terminationGracePeriodSeconds") ?? 30;
        return Math.Max(0, grace);
    }

    /// <summary>
    /// upstream service strategy patchAllocatedValues and dropTypeDependentFields: a PUT or patch that leaves out
    /// clusterIP keeps the allocated one; turning a Service into ExternalName drops the address it held.
    /// </summary>
    private static void PatchAllocatedValues(JsonObject current, JsonObject desired)
    {
        var oldSpec = current["spec"] as JsonObject;
        if (desired["spec"] is not JsonObject newSpec)
        {
            return;
        }

        var oldAddressing = ServiceAddressing.From(oldSpec);
        var newType = JsonMeta.String(newSpec, "type") ?? "ClusterIP";
        if (newType == "ExternalName")
        {
            if (oldAddressing.Type != "ExternalName" && JsonMeta.String(newSpec, "clusterIP") == oldAddressing.ClusterIp)
            {
                newSpec.Remove("clusterIP");
                newSpec.Remove("clusterIPs");
            }

            return;
        }

        if (string.IsNullOrEmpty(JsonMeta.String(newSpec, "clusterIP")) && !string.IsNullOrEmpty(oldAddressing.ClusterIp)
            && oldAddressing.Type != "ExternalName")
        {
            newSpec["clusterIP"] = oldSpec!["clusterIP"]?.DeepClone();
            newSpec["clusterIPs"] = oldSpec["clusterIPs"]?.DeepClone();
        }
    }

    /// <param name="currentBytes">The stored bytes <paramref name="current"/> was parsed from (update validation decodes them).</param>
    private JsonObject PrepareForUpdate(ResourceDescriptor resource, ReadOnlyMemory<byte> currentBytes, JsonObject current, JsonObject desired,
        string? subresource)
    {
        var hasStatus = resource.Subresources.Any(s => s.Name == "status");
        JsonObject working;
        if (subresource == "status" && TryAdmitStatusWrite(resource, currentBytes, desired["status"]) is { } admittedStatusWrite)
        {
            return admittedStatusWrite;
        }

        if (subresource == "status")
        {
            // upstream status strategies: only status changes; spec and metadata stay as stored.
            working = (JsonObject)current.DeepClone();
            working["status"] = desired["status"]?.DeepClone();
        }
        else
        {
            working = desired;
            if (hasStatus && resource.Kind != "Node")
            {
                // upstream main-resource strategies: status writes go through /status only.
                working["status"] = current["status"]?.DeepClone();
            }
        }

        if (working["status"] is null)
        {
            working.Remove("status");
        }

        var meta = JsonMeta.Metadata(working);
        var currentMeta = JsonMeta.Metadata(current);
        // Fields the client cannot change (upstream rest.BeforeUpdate / FillObjectMetaSystemFields).
        foreach (var field in (string[])["uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds",
            "namespace", "name"])
        {
            if (currentMeta[field] is { } value)
            {
                meta[field] = value.DeepClone();
            }
            else
            {
                meta.Remove(field);
            }
        }

        meta.Remove("selfLink");
        meta["resourceVersion"] = currentMeta["resourceVersion"]?.DeepClone();
        working["apiVersion"] = resource.ApiVersion;
        working["kind"] = resource.Kind;

        var admitted = Admit(resource, working, currentBytes, subresource);
        var admittedMeta = JsonMeta.Metadata(admitted);
        // upstream bumps generation in the main resource's PrepareForUpdate only: a status write keeps the stored spec,
        // so it is not compared.
        if (subresource != "status" && !JsonMeta.SameDesiredState(admitted, current))
        {
            admittedMeta["generation"] = (JsonMeta.Long(currentMeta, "generation") ?? 0) + 1;
        }

        if (currentMeta["deletionTimestamp"] is not null)
        {
            // upstream: no new finalizers once deletion started.
            var before = JsonMeta.Finalizers(currentMeta);
            var added = JsonMeta.Finalizers(admittedMeta).Where(f => !before.Contains(f)).ToList();
            if (added.Count > 0)
            {
                throw Invalid(resource, JsonMeta.String(currentMeta, "name") ?? "", [new StatusCause("FieldValueForbidden",
                    $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {Quote(added)}",
                    "metadata.finalizers")]);
            }
        }

        return admitted;
    }

    /// <summary>
    /// A status write admitted from the stored bytes: upstream's status strategies keep spec and metadata as stored and
    /// take only the status from the body, so the stored object decodes straight into the model and gets the body's
    /// status, with no copy of the stored tree to edit and write out again. Null when the body's status does not decode:
    /// the tree path then reports it with the whole object's field path, as upstream's decoder does.
    /// </summary>
    private static JsonObject? TryAdmitStatusWrite(ResourceDescriptor resource, ReadOnlyMemory<byte> currentBytes, JsonNode? status)
    {
        if (ModelCodec.StatusProperty(resource.ModelType) is not { Set: { } set } property)
        {
            return null;
        }

        object? decodedStatus = null;
        if (status is not null)
        {
            try
            {
                decodedStatus = BerthJson.Deserialize(status, property.PropertyType);
            }
            catch (Exception e) when (ModelCodec.IsDecodeError(e))
            {
                return null;
            }
        }

        var model = ModelCodec.Decode(resource, currentBytes.Span);
        set(model, decodedStatus);
        var encoded = ModelCodec.Encode(resource, AdmitDecoded(resource, model, currentBytes, "status"));
        encoded["apiVersion"] = resource.ApiVersion;
        encoded["kind"] = resource.Kind;
        return encoded;
    }

    /// <summary>
    /// Decode into the model (type check), default, validate (upstream strategy Validate / ValidateUpdate and
    /// the create-time admission plugins), encode (dropping unknown fields).
    /// </summary>
    private static JsonObject Admit(ResourceDescriptor resource, JsonObject node, ReadOnlyMemory<byte>? old, string? subresource)
    {
        var encoded = ModelCodec.Encode(resource, AdmitModel(resource, node, old, subresource));
        encoded["apiVersion"] = resource.ApiVersion;
        encoded["kind"] = resource.Kind;
        return encoded;
    }

    /// <summary>
    /// <see cref="Admit"/> up to the admitted model, for callers that want bytes rather than a tree. The model's type
    /// meta is the resource's (the encoded object starts with apiVersion and kind, as the models declare them).
    /// </summary>
    private static object AdmitModel(ResourceDescriptor resource, JsonObject node, ReadOnlyMemory<byte>? old, string? subresource) =>
        AdmitDecoded(resource, ModelCodec.Decode(resource, node), old, subresource);

    /// <summary><see cref="AdmitModel"/> of a model already decoded (and owned by the caller: admission edits it).</summary>
    private static object AdmitDecoded(ResourceDescriptor resource, object model, ReadOnlyMemory<byte>? old, string? subresource,
        Action<object>? defaulted = null)
    {
        ObjectDefaulter.Default(model);
        defaulted?.Invoke(model);
        IReadOnlyList<FieldError> errors;
        if (old is null)
        {
            ObjectDefaulter.AdmitCreate(model);
            errors = ObjectValidator.ValidateCreate(model);
        }
        else
        {
            // From the stored bytes: decoding a JSON tree writes it out to bytes first.
            var oldModel = ModelCodec.Decode(resource, old.Value.Span);
            errors = subresource == "status" ? ObjectValidator.ValidateStatusUpdate(model, oldModel) : ObjectValidator.ValidateUpdate(model, oldModel);
        }

        if (errors.Count > 0)
        {
            var name = (model as IMetadata<V1ObjectMeta>)?.Metadata?.Name ?? "";
            throw new ApiException(InvalidStatus.Create(resource.Kind, resource.Group, name, errors));
        }

        if (model is k8s.IKubernetesObject typed)
        {
            typed.ApiVersion = resource.ApiVersion;
            typed.Kind = resource.Kind;
        }

        return model;
    }

    /// <summary>
    /// upstream's create handler: the field manager records the decoded, defaulted object before the create-time
    /// admission plugins run, so the creator owns what it sent plus the defaults (a pod's dnsPolicy, restartPolicy,
    /// its containers' imagePullPolicy...) but not what admission adds (serviceAccountName, tolerations, priority).
    /// </summary>
    private void RecordCreate(ResourceDescriptor resource, object model, string manager)
    {
        if (model is not IMetadata<V1ObjectMeta> { Metadata: { } meta })
        {
            return;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        if (ServerSideApply.TryRecordCreateEntries(model, resource.ModelType, resource.ApiVersion, manager, now, out var entries))
        {
            // The usual create: the creator's entry straight from the model's JSON (docs/benchmarks.md, registry group).
            meta.ManagedFields = entries;
            return;
        }

        var tree = ModelCodec.Encode(resource, model);
        tree["apiVersion"] = resource.ApiVersion;
        tree["kind"] = resource.Kind;
        meta.ManagedFields = ServerSideApply.RecordUpdateEntries(null, tree, manager, resource.ModelType, now);
    }

    private static void PrepareForCreate(ResourceDescriptor resource, object model)
    {
        // upstream strategies' PrepareForCreate: status starts from scratch (nodes may set theirs).
        switch (model)
        {
            case V1Node:
                break;
            case V1Pod pod:
                pod.Status = new V1PodStatus { Phase = "Pending", QosClass = PodQos.Compute(pod.Spec) };
                break;
            case V1Namespace ns:
                ns.Status = new V1NamespaceStatus { Phase = "Active" };
                break;
            case V1PersistentVolumeClaim claim:
                claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Pending" };
                break;
            case V1PersistentVolume volume:
                volume.Status = new V1PersistentVolumeStatus { Phase = "Pending" };
                break;
            default:
                if (resource.Subresources.Any(s => s.Name == "status"))
                {
                    ModelCodec.StatusProperty(resource.ModelType)!.Set!(model, null);
                }

                break;
        }
    }

    private static void CheckTypeMeta(ResourceDescriptor resource, JsonObject body)
    {
        CheckTypeMeta(resource, JsonMeta.String(body, "apiVersion"), JsonMeta.String(body, "kind"));
        body["apiVersion"] = resource.ApiVersion;
        body["kind"] = resource.Kind;
    }

    private static void CheckTypeMeta(ResourceDescriptor resource, string? apiVersion, string? kind)
    {
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.ApiVersion)
        {
            throw Errors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != resource.Kind)
        {
            // upstream: the decoder builds the data's kind, which the resource's scheme cannot convert.
            throw Errors.BadRequest($"{kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: "
                + $"no kind \"{kind}\" is registered for the resource {resource.QualifiedResource}");
        }
    }

    /// <summary>The namespace the object goes to (null for cluster-scoped kinds, whose body namespace is dropped).</summary>
    private static string? CheckNamespace(ResourceDescriptor resource, string? ns, string? bodyNs)
    {
        if (!resource.Namespaced)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(bodyNs) && !string.IsNullOrEmpty(ns) && bodyNs != ns)
        {
            throw Errors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var result = string.IsNullOrEmpty(ns) ? bodyNs : ns;
        if (string.IsNullOrEmpty(result))
        {
            throw Errors.BadRequest("the server could not find the requested resource");
        }

        return result;
    }

    private async ValueTask CheckNamespaceAcceptsContentAsync(string ns, CancellationToken cancellationToken)
    {
        var namespaces = ResourceCatalog.Find("", "v1", "namespaces")!;
        var kv = await Store.GetAsync(namespaces.Key(null, ns), cancellationToken).ConfigureAwait(false);
        if (kv is null)
        {
            // upstream NamespaceLifecycle admission.
            throw Errors.NotFound(namespaces, ns);
        }

        // Every create in a namespace reads its namespace; parse it only when it can be terminating.
        if (kv.Value.Value.Span.IndexOf("\"deletionTimestamp\""u8) < 0)
        {
            return;
        }

        using var doc = JsonDocument.Parse(kv.Value.Value);
        if (doc.RootElement.TryGetProperty("metadata", out var m) && m.TryGetProperty("deletionTimestamp", out _))
        {
            throw new ApiException(Status.Failure(403, "Forbidden",
                $"unable to create new content in namespace {ns} because it is being terminated"));
        }
    }

    internal static void CheckUnknownFields(ResourceDescriptor resource, JsonObject body, WriteOptions options)
    {
        if (options.FieldValidation == FieldValidation.Ignore)
        {
            return;
        }

        var unknown = ModelCodec.FindUnknownFields(resource.ModelType, body);
        if (unknown.Count == 0)
        {
            return;
        }

        if (options.FieldValidation == FieldValidation.Strict)
        {
            // upstream: `strict decoding error: unknown field "spec.bogus", unknown field "spec.other"`
            throw Errors.BadRequest("strict decoding error: " + string.Join(", ", unknown.Select(f => $"unknown field \"{f}\"")));
        }

        options.Warnings.AddRange(unknown.Select(f => $"unknown field \"{f}\""));
    }

    private static ApiException Invalid(ResourceDescriptor resource, string name, List<StatusCause> causes) =>
        Errors.Invalid(resource, name, causes);

    private static string Quote(List<string> values) => "[" + string.Join(" ", values) + "]";

    private static string RandomSuffix()
    {
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = GenerateNameAlphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
        }

        return new string(chars);
    }

    public static JsonObject Parse(ReadOnlyMemory<byte> bytes) =>
        JsonNode.Parse(bytes.Span)?.AsObject() ?? throw new InvalidOperationException("stored value is not a JSON object");

    public static byte[] Serialize(JsonObject node) => StoredJsonWriter.Write(node);

    internal static string Utf8(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
