using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.ApiServer.Streaming;
using Berth.ApiServer.Tables;
using Berth.ApiServer.Watch;
using Berth.Core;
using Berth.Serialization;
using Berth.Serialization.Patching;
using Berth.Serialization.Patching.Apply;
using Berth.Storage;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>
/// The REST verbs over one resource path (upstream's endpoints/handlers): get, list, watch, create, update,
/// patch, delete, deletecollection, and the subresources status, scale and eviction. The node agent's subresources
/// (log, exec, attach, portforward) go to <see cref="PodStreamingEndpoints"/>.
/// </summary>
internal sealed class ResourceEndpoints
{
    /// <summary>How much of a streamed list is handed to the connection at a time.</summary>
    private const int ListFlushBytes = 64 * 1024;

    private readonly ObjectRegistry _registry;
    private readonly PodStreamingEndpoints _podSubresources;

    public ResourceEndpoints(ObjectRegistry registry, PodStreamingEndpoints podSubresources)
    {
        _registry = registry;
        _podSubresources = podSubresources;
    }

    public async Task HandleAsync(HttpContext context, RequestInfo info)
    {
        var resource = ResourceCatalog.Find(info.Group, info.Version, info.Resource) ?? throw Errors.NoHandler();
        // A namespaced resource's objects live under a namespace; a cluster-scoped one has none.
        if (!resource.Namespaced && info.Namespace is not null)
        {
            throw Errors.NoHandler();
        }

        if (resource.Namespaced && info.Name is not null && info.Namespace is null)
        {
            throw Errors.NoHandler();
        }

        if (info.Subresource is { } sub && resource.Subresources.All(s => s.Name != sub))
        {
            throw Errors.NoHandler();
        }

        var method = context.Request.Method;
        var query = QueryOptions.Parse(context.Request.Query);
        var ns = info.Namespace;
        var name = info.Name;
        var sub2 = info.Subresource;

        if (sub2 is "log" or "exec" or "attach" or "portforward")
        {
            if (method != "GET" && (sub2 == "log" || method != "POST"))
            {
                throw Errors.MethodNotSupported(resource, VerbFor(method, name, sub2));
            }

            await _podSubresources.HandleAsync(context, ns!, name!, sub2).ConfigureAwait(false);
            return;
        }

        switch (method)
        {
            case "GET" when name is null:
                if (query.Watch)
                {
                    await WatchAsync(context, resource, ns, query, null).ConfigureAwait(false);
                }
                else
                {
                    await ListAsync(context, resource, ns, query).ConfigureAwait(false);
                }

                return;
            case "GET" when query.Watch && sub2 is null:
                await WatchAsync(context, resource, ns, query, name).ConfigureAwait(false);
                return;
            case "GET" when sub2 == "scale":
                {
                    var kv = await _registry.GetAsync(resource, ns, name!, context.RequestAborted).ConfigureAwait(false);
                    await WriteObjectAsync(context, 200, ScaleSubresource.FromObject(ObjectRegistry.Parse(kv.Value)), null).ConfigureAwait(false);
                    return;
                }

            case "GET" when sub2 is null or "status":
                {
                    var kv = await _registry.GetAsync(resource, ns, name!, context.RequestAborted).ConfigureAwait(false);
                    await WriteStoredAsync(context, resource, 200, kv.Value, query).ConfigureAwait(false);
                    return;
                }

            case "POST" when name is null:
                await CreateAsync(context, resource, ns, query).ConfigureAwait(false);
                return;
            case "POST" when sub2 == "eviction":
                await new EvictionSubresource(_registry).HandleAsync(context, resource, ns!, name!, query).ConfigureAwait(false);
                return;
            case "PUT" when name is not null && sub2 == "scale":
                await ScaleWriteAsync(context, resource, ns, name, query, patchType: null).ConfigureAwait(false);
                return;
            case "PUT" when name is not null && sub2 is null or "status":
                await UpdateAsync(context, resource, ns, name!, sub2, query).ConfigureAwait(false);
                return;
            case "PATCH" when name is not null && sub2 == "scale":
                await ScaleWriteAsync(context, resource, ns, name, query, MediaTypes.Essence(context.Request.ContentType)).ConfigureAwait(false);
                return;
            case "PATCH" when name is not null && sub2 is null or "status":
                await PatchAsync(context, resource, ns, name!, sub2, query).ConfigureAwait(false);
                return;
            case "DELETE" when name is not null && sub2 is null:
                await DeleteAsync(context, resource, ns, name, query).ConfigureAwait(false);
                return;
            case "DELETE" when name is null:
                await DeleteCollectionAsync(context, resource, ns, query).ConfigureAwait(false);
                return;
            default:
                throw Errors.MethodNotSupported(resource, VerbFor(method, name, sub2));
        }
    }

    private static string VerbFor(string method, string? name, string? sub) => method switch
    {
        "GET" => name is null ? "list" : "get",
        "POST" => sub is null ? "create" : "create " + sub,
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => name is null ? "deletecollection" : "delete",
        _ => method,
    };

    private async Task ListAsync(HttpContext context, ResourceDescriptor resource, string? ns, QueryOptions query)
    {
        var filter = ObjectFilter.Build(resource, query.LabelSelector, query.FieldSelector);
        var match = query.ResourceVersionMatch switch
        {
            null => ResourceVersionMatch.Unset,
            "NotOlderThan" => ResourceVersionMatch.NotOlderThan,
            "Exact" => ResourceVersionMatch.Exact,
            var other => throw Errors.BadRequest($"resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""),
        };
        if (match != ResourceVersionMatch.Unset && string.IsNullOrEmpty(query.ResourceVersion))
        {
            throw Errors.BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
        }

        if (query.Continue is not null && !string.IsNullOrEmpty(query.ResourceVersion) && query.ResourceVersion != "0")
        {
            throw Errors.BadRequest("specifying resource version is not allowed when using continue");
        }

        var result = await _registry.ListAsync(resource, ns, new ListOptions
        {
            ResourceVersion = query.ResourceVersion,
            Match = match,
            Limit = Math.Max(0, query.Limit),
            Continue = query.Continue,
            Filter = filter?.Predicate,
        }, context.RequestAborted).ConfigureAwait(false);

        var rv = result.Revision.ToString(CultureInfo.InvariantCulture);
        var table = MediaTypes.NegotiateTable(context.Request.Headers.Accept);
        var response = context.Response;
        response.StatusCode = 200;
        if (table is not null)
        {
            // Streamed (chunked, as upstream's large responses are): the rows are rendered into the connection's pipe.
            response.ContentType = table;
            await TableWriter.WriteAsync(response.BodyWriter, resource, result.Items, rv, result.Continue, result.RemainingItemCount,
                query.IncludeObject, _registry.Time.GetUtcNow(), TableApiVersion(table), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // The items' stored bytes go straight into the connection's pipe behind an exact Content-Length: no buffer the
        // size of the whole list.
        var (head, tail) = ListEnvelope(resource, result, rv);
        response.ContentType = MediaTypes.Json;
        response.ContentLength = head.Length + tail.Length + result.Items.Sum(i => (long)i.Value.Length) + Math.Max(0, result.Items.Count - 1);
        var body = response.BodyWriter;
        body.Write(head);
        for (var i = 0; i < result.Items.Count; i++)
        {
            if (i > 0)
            {
                body.Write(","u8);
            }

            body.Write(result.Items[i].Value.Span);
            if (body.UnflushedBytes >= ListFlushBytes)
            {
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }

        body.Write(tail);
        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A &lt;Kind&gt;List written around the stored bytes, never re-encoding the items.</summary>
    internal static ReadOnlyMemory<byte> RenderList(ResourceDescriptor resource, ListResult result, string rv)
    {
        var (head, tail) = ListEnvelope(resource, result, rv);
        var buffer = new ArrayBufferWriter<byte>(head.Length + tail.Length + result.Items.Sum(i => i.Value.Length + 1));
        buffer.Write(head);
        for (var i = 0; i < result.Items.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(result.Items[i].Value.Span);
        }

        buffer.Write(tail);
        return buffer.WrittenMemory;
    }

    /// <summary>The bytes of a &lt;Kind&gt;List before its items and after them.</summary>
    private static (byte[] Head, byte[] Tail) ListEnvelope(ResourceDescriptor resource, ListResult result, string rv)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, "{\"kind\":\"");
        Write(buffer, resource.Kind);
        Write(buffer, "List\",\"apiVersion\":\"");
        Write(buffer, resource.ApiVersion);
        Write(buffer, "\",\"metadata\":{\"resourceVersion\":\"");
        Write(buffer, rv);
        Write(buffer, "\"");
        if (result.Continue is { } token)
        {
            Write(buffer, ",\"continue\":");
            Write(buffer, "\"" + JsonEncodedText.Encode(token).ToString() + "\"");
        }

        if (result.RemainingItemCount is { } remaining)
        {
            Write(buffer, ",\"remainingItemCount\":");
            Write(buffer, remaining.ToString(CultureInfo.InvariantCulture));
        }

        Write(buffer, "},\"items\":[");
        return (buffer.WrittenSpan.ToArray(), "]}"u8.ToArray());
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string s) => buffer.Write(Encoding.UTF8.GetBytes(s));

    private async Task WatchAsync(HttpContext context, ResourceDescriptor resource, string? ns, QueryOptions query, string? name)
    {
        var fieldSelector = query.FieldSelector;
        if (name is not null)
        {
            // The deprecated watch-by-name path is a watch with metadata.name selected.
            var byName = "metadata.name=" + Core.Selectors.FieldSelector.EscapeValue(name);
            fieldSelector = string.IsNullOrEmpty(fieldSelector) ? byName : fieldSelector + "," + byName;
        }

        var filter = ObjectFilter.Build(resource, query.LabelSelector, fieldSelector);
        var table = MediaTypes.NegotiateTable(context.Request.Headers.Accept);
        await new WatchStream(context, _registry, resource, ns, query, filter, table).RunAsync().ConfigureAwait(false);
    }

    private async Task CreateAsync(HttpContext context, ResourceDescriptor resource, string? ns, QueryOptions query)
    {
        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        var options = query.ToWriteOptions(context.Request.Headers.UserAgent);
        // JSON goes to the registry as bytes (it decodes plain objects without a tree); YAML and protobuf become trees here.
        var kv = MediaTypes.Essence(context.Request.ContentType) is "application/json" or ""
            ? await _registry.CreateAsync(resource, ns, bytes, options, context.RequestAborted).ConfigureAwait(false)
            : await _registry.CreateAsync(resource, ns, RequestBody.ParseObject(bytes, context.Request.ContentType, resource.Kind), options,
                context.RequestAborted).ConfigureAwait(false);
        HttpResponses.AddWarnings(context, options.Warnings);
        await WriteStoredAsync(context, resource, 201, kv.Value, query).ConfigureAwait(false);
    }

    private async Task UpdateAsync(HttpContext context, ResourceDescriptor resource, string? ns, string name, string? sub, QueryOptions query)
    {
        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        var body = RequestBody.ParseObject(bytes, context.Request.ContentType, resource.Kind);
        var options = query.ToWriteOptions(context.Request.Headers.UserAgent);
        var kv = await _registry.UpdateAsync(resource, ns, name, sub, body, options, context.RequestAborted).ConfigureAwait(false);
        HttpResponses.AddWarnings(context, options.Warnings);
        await WriteStoredAsync(context, resource, 200, kv.Value, query).ConfigureAwait(false);
    }

    private async Task PatchAsync(HttpContext context, ResourceDescriptor resource, string? ns, string name, string? sub, QueryOptions query)
    {
        var patchType = MediaTypes.Essence(context.Request.ContentType);
        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        var options = query.ToWriteOptions(context.Request.Headers.UserAgent);
        var patch = ParsePatch(patchType, bytes);
        KeyValue kv;
        var status = 200;
        if (patchType == MediaTypes.ApplyPatch)
        {
            (kv, var created) = await ApplyAsync(context, resource, ns, name, sub, query, options, patch).ConfigureAwait(false);
            status = created ? 201 : 200;
        }
        else
        {
            kv = await _registry.GuaranteedUpdateAsync(resource, ns, name, sub, options, (_, current) =>
            {
                var patched = ApplyPatch(patchType, current, patch, resource.ModelType, resource);
                ObjectRegistry.CheckUnknownFields(resource, patched, options);
                return patched;
            }, context.RequestAborted).ConfigureAwait(false);
        }

        HttpResponses.AddWarnings(context, options.Warnings);
        await WriteStoredAsync(context, resource, status, kv.Value, query).ConfigureAwait(false);
    }

    /// <summary>
    /// Server-side apply (application/apply-patch+yaml): creates the object when absent, else merges the
    /// configuration for the field manager, refusing with 409 on fields another manager owns unless force.
    /// </summary>
    private async Task<(KeyValue Kv, bool Created)> ApplyAsync(HttpContext context, ResourceDescriptor resource, string? ns, string name,
        string? sub, QueryOptions query, WriteOptions options, JsonNode? patch)
    {
        if (string.IsNullOrEmpty(query.FieldManager))
        {
            throw new ApiException(Status.Failure(422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                new StatusDetails { Group = "meta.k8s.io", Kind = "PatchOptions", Causes = [new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")] }));
        }

        if (patch is not JsonObject applied)
        {
            throw Errors.BadRequest("error decoding YAML: the apply configuration must be an object");
        }

        var bodyName = JsonMeta.String(applied["metadata"], "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        ObjectRegistry.CheckUnknownFields(resource, applied, options);
        var manager = query.FieldManager;
        // The apply records its own Apply entry; the create or update it turns into must not add an Update one.
        options.RecordManagedFields = false;
        var now = _registry.Time.GetUtcNow().UtcDateTime;
        while (true)
        {
            var exists = await _registry.Store.GetAsync(resource.Key(ns, name), context.RequestAborted).ConfigureAwait(false) is not null;
            if (!exists && sub is null)
            {
                var result = RunApply(null, applied, manager, query.Force, resource, now, null);
                try
                {
                    var created = await _registry.CreateAsync(resource, ns, (JsonObject)result, options, context.RequestAborted).ConfigureAwait(false);
                    return (created, true);
                }
                catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
                {
                    continue; // created in between: apply to it instead
                }
            }

            var updated = await _registry.GuaranteedUpdateAsync(resource, ns, name, sub, options,
                (_, current) => (JsonObject)RunApply(current, applied, manager, query.Force, resource, now, sub),
                context.RequestAborted).ConfigureAwait(false);
            return (updated, false);
        }
    }

    private static JsonNode RunApply(JsonObject? live, JsonObject applied, string manager, bool force, ResourceDescriptor resource, DateTime now,
        string? sub)
    {
        ApplyResult result;
        try
        {
            result = ServerSideApply.Apply(live, applied, manager, force, resource.ModelType, now, sub);
        }
        catch (PatchException e)
        {
            throw new ApiException(Status.Failure(e.Code, e.Reason, e.Message));
        }

        if (result.ConflictMessage is { } message)
        {
            throw new ApiException(Status.Failure(409, "Conflict", message, new StatusDetails
            {
                Causes = result.Conflicts.Select(c => new StatusCause("FieldManagerConflict", c.Message, c.Field)).ToList(),
            }));
        }

        return result.Merged;
    }

    internal static JsonNode? ParsePatch(string patchType, byte[] bytes) => patchType switch
    {
        MediaTypes.MergePatch or MediaTypes.JsonPatch or MediaTypes.StrategicMergePatch => RequestBody.ParseJson(bytes, "patch"),
        MediaTypes.ApplyPatch => YamlBody.Convert(bytes) ?? throw Errors.BadRequest("the body of the request was empty"),
        _ => throw PatchTypeUnsupported(),
    };

    /// <summary>upstream's 415 for a patch type it does not know.</summary>
    internal static ApiException PatchTypeUnsupported() =>
        new(Status.Failure(415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
            + "application/strategic-merge-patch+json"));

    internal static JsonObject ApplyPatch(string patchType, JsonObject current, JsonNode? patch, Type modelType, ResourceDescriptor resource)
    {
        JsonNode? result;
        try
        {
            result = patchType switch
            {
                MediaTypes.MergePatch => JsonMergePatch.Apply(current, patch?.DeepClone()),
                MediaTypes.JsonPatch => JsonPatch.Apply(current, patch?.DeepClone()),
                MediaTypes.StrategicMergePatch => StrategicMergePatch.Apply(current, patch, modelType),
                _ => throw PatchTypeUnsupported(),
            };
        }
        catch (PatchException e)
        {
            throw new ApiException(Status.Failure(e.Code, e.Reason, e.Message));
        }

        return result as JsonObject
            ?? throw Errors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: "
                + "the patched document is not a JSON object");
    }

    private async Task ScaleWriteAsync(HttpContext context, ResourceDescriptor resource, string? ns, string name, QueryOptions query,
        string? patchType)
    {
        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        // upstream records /scale writes on the parent under subresource "scale" (only spec.replicas can change).
        var options = query.ToWriteOptions(context.Request.Headers.UserAgent, managedFieldsSubresource: "scale");
        JsonNode? patch = null;
        JsonObject? body = null;
        if (patchType is null)
        {
            body = RequestBody.ParseObject(bytes, context.Request.ContentType, "Scale");
        }
        else
        {
            patch = ParsePatch(patchType, bytes);
        }

        var kv = await _registry.GuaranteedUpdateAsync(resource, ns, name, null, options, (_, current) =>
        {
            var scale = ScaleSubresource.FromObject(current);
            if (patchType == MediaTypes.ApplyPatch)
            {
                throw PatchTypeUnsupported();
            }

            var desired = body is not null ? (JsonObject)body.DeepClone() : ApplyPatch(patchType!, scale, patch, typeof(V1Scale), resource);
            return ScaleSubresource.ApplyTo(current, desired, name);
        }, context.RequestAborted).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, ScaleSubresource.FromObject(ObjectRegistry.Parse(kv.Value)), options.Warnings).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context, ResourceDescriptor resource, string? ns, string name, QueryOptions query)
    {
        var request = await ReadDeleteOptionsAsync(context, query).ConfigureAwait(false);
        var outcome = await _registry.DeleteAsync(resource, ns, name, request, context.RequestAborted).ConfigureAwait(false);
        await WriteStoredAsync(context, resource, 200, outcome.Object.Value, query with { IncludeObject = "Metadata" }).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceDescriptor resource, string? ns, QueryOptions query)
    {
        var request = await ReadDeleteOptionsAsync(context, query).ConfigureAwait(false);
        var filter = ObjectFilter.Build(resource, query.LabelSelector, query.FieldSelector);
        var list = await _registry.ListAsync(resource, ns, new ListOptions { Filter = filter?.Predicate }, context.RequestAborted)
            .ConfigureAwait(false);
        var deleted = new List<KeyValue>();
        foreach (var item in list.Items)
        {
            using var doc = JsonDocument.Parse(item.Value);
            var meta = doc.RootElement.GetProperty("metadata");
            var itemName = meta.GetProperty("name").GetString()!;
            var itemNs = meta.TryGetProperty("namespace", out var n) ? n.GetString() : null;
            try
            {
                var outcome = await _registry.DeleteAsync(resource, itemNs, itemName, request, context.RequestAborted).ConfigureAwait(false);
                deleted.Add(outcome.Object);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Gone in between: upstream's deletecollection ignores those.
            }
        }

        var rv = _registry.Store.CurrentRevision.ToString(CultureInfo.InvariantCulture);
        await HttpResponses.WriteAsync(context, 200, RenderList(resource, new ListResult(deleted, 0, null, null), rv), MediaTypes.Json)
            .ConfigureAwait(false);
    }

    /// <summary>DeleteOptions from the body (JSON or protobuf) and the query.</summary>
    private static async Task<DeleteRequest> ReadDeleteOptionsAsync(HttpContext context, QueryOptions query)
    {
        var request = new DeleteRequest { DryRun = query.DryRun };
        var q = context.Request.Query;
        if (q.TryGetValue("gracePeriodSeconds", out var g))
        {
            request = request with
            {
                GracePeriodSeconds = long.TryParse(g.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var grace)
                    ? grace : throw Errors.BadRequest($"gracePeriodSeconds: Invalid value: \"{g}\": must be an integer"),
            };
        }

        if (q.TryGetValue("propagationPolicy", out var p))
        {
            request = request with { PropagationPolicy = p.ToString() };
        }

        if (q.TryGetValue("orphanDependents", out var o))
        {
            request = request with { PropagationPolicy = o.ToString() == "true" ? "Orphan" : "Background" };
        }

        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        var contentType = MediaTypes.Essence(context.Request.ContentType);
        JsonObject? body = null;
        if (bytes.Length > 0 && contentType is "application/json" or "")
        {
            body = RequestBody.ParseJsonObject(bytes, "DeleteOptions");
        }
        else if (bytes.Length > 0 && contentType == Protobuf.KubernetesProtobuf.MediaType)
        {
            // kubectl 1.32+ (drain's DELETE fallback) sends DeleteOptions as protobuf.
            body = Protobuf.KubernetesProtobuf.Decode(bytes, "DeleteOptions");
            if (JsonMeta.String(body, "kind") != "DeleteOptions")
            {
                throw Errors.BadRequest($"{JsonMeta.String(body, "kind")} in version \"v1\" cannot be handled as a DeleteOptions: "
                    + "the body is not a DeleteOptions");
            }
        }

        if (body is not null)
        {
            try
            {
                if (body["gracePeriodSeconds"] is JsonValue gv)
                {
                    request = request with { GracePeriodSeconds = gv.GetValue<long>() };
                }

                if (JsonMeta.String(body, "propagationPolicy") is { } policy)
                {
                    request = request with { PropagationPolicy = policy };
                }

                if (body["orphanDependents"] is JsonValue od)
                {
                    request = request with { PropagationPolicy = od.GetValue<bool>() ? "Orphan" : "Background" };
                }

                if (body["preconditions"] is JsonObject pre)
                {
                    request = request with
                    {
                        PreconditionUid = JsonMeta.String(pre, "uid"),
                        PreconditionResourceVersion = JsonMeta.String(pre, "resourceVersion"),
                    };
                }

                if (body["dryRun"] is JsonArray dry && dry.Count > 0)
                {
                    request = request with { DryRun = true };
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw Errors.BadRequest("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: " + e.Message);
            }
        }

        if (request.PropagationPolicy is not (null or "Orphan" or "Background" or "Foreground"))
        {
            throw Errors.BadRequest($"propagationPolicy: Unsupported value: \"{request.PropagationPolicy}\": supported values: "
                + "\"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        }

        return request;
    }

    private Task WriteStoredAsync(HttpContext context, ResourceDescriptor resource, int status, ReadOnlyMemory<byte> value, QueryOptions query)
    {
        var table = MediaTypes.NegotiateTable(context.Request.Headers.Accept);
        if (table is null)
        {
            return HttpResponses.WriteAsync(context, status, value, MediaTypes.Json);
        }

        var rv = ObjectRv(value);
        var bytes = TableWriter.Render(resource, [value], rv, null, null, query.IncludeObject, includeColumns: true,
            _registry.Time.GetUtcNow(), TableApiVersion(table));
        return HttpResponses.WriteAsync(context, status, bytes, table);
    }

    private static Task WriteObjectAsync(HttpContext context, int status, JsonObject obj, List<string>? warnings)
    {
        if (warnings is not null)
        {
            HttpResponses.AddWarnings(context, warnings);
        }

        return HttpResponses.WriteAsync(context, status, ObjectRegistry.Serialize(obj), MediaTypes.Json);
    }

    private static string TableApiVersion(string mediaType) =>
        mediaType == MediaTypes.TableV1Beta1 ? "meta.k8s.io/v1beta1" : "meta.k8s.io/v1";

    private static string? ObjectRv(ReadOnlyMemory<byte> value)
    {
        using var doc = JsonDocument.Parse(value);
        return doc.RootElement.TryGetProperty("metadata", out var m) && m.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
    }
}
