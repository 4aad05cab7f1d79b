using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.ApiServer.Tables;
using Berth.Core;
using Berth.Storage;
using Microsoft.AspNetCore.Http;
using StoreEventType = Berth.Storage.WatchEventType;

namespace Berth.ApiServer.Watch;

/// <summary>
/// One watch response: a chunked 200 carrying newline-delimited <c>{"type":..,"object":..}</c> events, flushed
/// one by one. Follows upstream's cacher: initial ADDED events for resourceVersion ""/"0" (or
/// sendInitialEvents=true), selector transitions turned into ADDED/DELETED, bookmarks when allowed, a 410
/// ERROR event for a compacted revision, and the stream closed at timeoutSeconds.
/// </summary>
internal sealed class WatchStream
{
    /// <summary>upstream sends a bookmark about once a minute to watchers that allow them.</summary>
    public static readonly TimeSpan BookmarkInterval = TimeSpan.FromSeconds(60);

    /// <summary>upstream's default minRequestTimeout (1800 s) when the client gives no timeoutSeconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1800);

    private static readonly byte[] AddedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"ADDED\",\"object\":");
    private static readonly byte[] ModifiedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"MODIFIED\",\"object\":");
    private static readonly byte[] DeletedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"DELETED\",\"object\":");
    private static readonly byte[] BookmarkPrefix = Encoding.UTF8.GetBytes("{\"type\":\"BOOKMARK\",\"object\":");
    private static readonly byte[] ErrorPrefix = Encoding.UTF8.GetBytes("{\"type\":\"ERROR\",\"object\":");
    private static readonly byte[] Suffix = "}\n"u8.ToArray();

    private readonly HttpContext _context;
    private readonly ObjectRegistry _registry;
    private readonly ResourceDescriptor _resource;
    private readonly string? _namespace;
    private readonly QueryOptions _query;
    private readonly ObjectFilter? _filter;
    private readonly string? _tableMediaType;
    private bool _columnsSent;

    public WatchStream(HttpContext context, ObjectRegistry registry, ResourceDescriptor resource, string? ns, QueryOptions query,
        ObjectFilter? filter, string? tableMediaType)
    {
        _context = context;
        _registry = registry;
        _resource = resource;
        _namespace = ns;
        _query = query;
        _filter = filter;
        _tableMediaType = tableMediaType;
    }

    public async Task RunAsync()
    {
        var time = _registry.Time;
        var rv = _query.ResourceVersion;
        long fromRevision = 0;
        if (!string.IsNullOrEmpty(rv) && rv != "0"
            && (!long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out fromRevision) || fromRevision < 0))
        {
            throw Errors.BadRequest($"invalid resource version: \"{rv}\"");
        }

        var initialEvents = _query.SendInitialEvents ?? (string.IsNullOrEmpty(rv) || rv == "0");
        var timeout = _query.TimeoutSeconds is > 0 and var t ? TimeSpan.FromSeconds(t) : DefaultTimeout;
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, _context.RequestAborted);
        var token = linked.Token;

        var response = _context.Response;
        response.StatusCode = 200;
        response.ContentType = _tableMediaType ?? MediaTypes.Json;
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(_context.RequestAborted).ConfigureAwait(false);
        // Send the headers now: client-go's reflector blocks in Do() until they arrive, and a stopped informer
        // (rollout status, wait) waits for that call, so a quiet watch would otherwise hang kubectl.
        await response.Body.FlushAsync(_context.RequestAborted).ConfigureAwait(false);

        var lastRevision = fromRevision;
        try
        {
            if (initialEvents)
            {
                var list = await _registry.ListAsync(_resource, _namespace, new ListOptions
                {
                    ResourceVersion = rv == "0" ? "0" : string.IsNullOrEmpty(rv) ? null : rv,
                    Match = string.IsNullOrEmpty(rv) || rv == "0" ? ResourceVersionMatch.Unset : ResourceVersionMatch.NotOlderThan,
                    Filter = _filter?.Predicate,
                }, token).ConfigureAwait(false);
                foreach (var item in list.Items)
                {
                    await WriteEventAsync(AddedPrefix, item.Value, token).ConfigureAwait(false);
                }

                lastRevision = list.Revision;
                if (_query.AllowWatchBookmarks && _query.SendInitialEvents == true)
                {
                    await WriteBookmarkAsync(lastRevision, initialEventsEnd: true, token).ConfigureAwait(false);
                }

                await response.Body.FlushAsync(token).ConfigureAwait(false);
            }

            await StreamChangesAsync(lastRevision, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // timeoutSeconds elapsed or the client went away: end the stream (kubectl get -w then exits 0).
        }
        catch (ApiException e) when (!_context.RequestAborted.IsCancellationRequested)
        {
            await WriteErrorAsync(e, _context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task StreamChangesAsync(long fromRevision, CancellationToken token)
    {
        var channel = Channel.CreateBounded<WatchItem>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var pumpCancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        var pump = PumpAsync(fromRevision, channel.Writer, pumpCancel.Token);
        using var bookmarks = _query.AllowWatchBookmarks
            ? _registry.Time.CreateTimer(_ => channel.Writer.TryWrite(WatchItem.Bookmark), null, BookmarkInterval, BookmarkInterval)
            : null;
        var lastRevision = fromRevision;
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (item.IsBookmark)
                {
                    await WriteBookmarkAsync(lastRevision, initialEventsEnd: false, token).ConfigureAwait(false);
                    continue;
                }

                if (item.Error is { } error)
                {
                    if (error.Code == StoreErrorCode.Expired)
                    {
                        var compacted = _registry.Store.CompactedRevision;
                        throw Errors.Gone($"too old resource version: {fromRevision} ({compacted})");
                    }

                    // WatcherTooSlow and friends: close, the client re-lists (upstream terminates such watchers).
                    return;
                }

                var e = item.Event;
                lastRevision = e.Revision;
                await WriteChangeAsync(e, token).ConfigureAwait(false);
            }
        }
        finally
        {
            await pumpCancel.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task PumpAsync(long fromRevision, ChannelWriter<WatchItem> writer, CancellationToken token)
    {
        try
        {
            await foreach (var e in _registry.Store.WatchAsync(_resource.ListPrefix(_namespace), fromRevision, token).ConfigureAwait(false))
            {
                await writer.WriteAsync(new WatchItem(e, null, false), token).ConfigureAwait(false);
            }
        }
        catch (StoreException e)
        {
            writer.TryWrite(new WatchItem(default, e, false));
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private Task WriteChangeAsync(Storage.WatchEvent e, CancellationToken token)
    {
        if (_filter is null)
        {
            var prefix = e.Type switch
            {
                StoreEventType.Added => AddedPrefix,
                StoreEventType.Modified => ModifiedPrefix,
                _ => DeletedPrefix,
            };
            return WriteEventAsync(prefix, e.Current.Value, token);
        }

        // upstream cacher: an object moving into the selection is ADDED, out of it DELETED (the old state with
        // the new resourceVersion), so a client's view stays consistent with a fresh filtered list.
        var currentPasses = _filter.Matches(e.Current.Value);
        var previousPasses = e.Previous is { } previous && _filter.Matches(previous.Value);
        switch (e.Type)
        {
            case StoreEventType.Added when currentPasses:
                return WriteEventAsync(AddedPrefix, e.Current.Value, token);
            case StoreEventType.Deleted when currentPasses:
                return WriteEventAsync(DeletedPrefix, e.Current.Value, token);
            case StoreEventType.Modified when currentPasses && previousPasses:
                return WriteEventAsync(ModifiedPrefix, e.Current.Value, token);
            case StoreEventType.Modified when currentPasses:
                return WriteEventAsync(AddedPrefix, e.Current.Value, token);
            case StoreEventType.Modified when previousPasses:
                var old = ObjectRegistry.Parse(e.Previous!.Value.Value);
                JsonMeta.Metadata(old)["resourceVersion"] = e.Revision.ToString(CultureInfo.InvariantCulture);
                return WriteEventAsync(DeletedPrefix, ObjectRegistry.Serialize(old), token);
            default:
                return Task.CompletedTask;
        }
    }

    private async Task WriteEventAsync(byte[] prefix, ReadOnlyMemory<byte> obj, CancellationToken token)
    {
        var body = _context.Response.Body;
        if (_tableMediaType is not null)
        {
            obj = TableWriter.Render(_resource, [obj], null, null, null, _query.IncludeObject, includeColumns: !_columnsSent,
                _registry.Time.GetUtcNow(), _tableMediaType.Contains("v1beta1", StringComparison.Ordinal) ? "meta.k8s.io/v1beta1" : "meta.k8s.io/v1");
            _columnsSent = true;
        }

        await body.WriteAsync(prefix, token).ConfigureAwait(false);
        await body.WriteAsync(obj, token).ConfigureAwait(false);
        await body.WriteAsync(Suffix, token).ConfigureAwait(false);
        await body.FlushAsync(token).ConfigureAwait(false);
    }

    private async Task WriteBookmarkAsync(long revision, bool initialEventsEnd, CancellationToken token)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        var bookmark = new JsonObject { ["kind"] = _resource.Kind, ["apiVersion"] = _resource.ApiVersion, ["metadata"] = metadata };
        var body = _context.Response.Body;
        await body.WriteAsync(BookmarkPrefix, token).ConfigureAwait(false);
        await body.WriteAsync(ObjectRegistry.Serialize(bookmark), token).ConfigureAwait(false);
        await body.WriteAsync(Suffix, token).ConfigureAwait(false);
        await body.FlushAsync(token).ConfigureAwait(false);
    }

    private async Task WriteErrorAsync(ApiException e, CancellationToken token)
    {
        var status = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(e.Status, Serialization.WireJsonContext.Default.Status);
        var body = _context.Response.Body;
        await body.WriteAsync(ErrorPrefix, token).ConfigureAwait(false);
        await body.WriteAsync(status, token).ConfigureAwait(false);
        await body.WriteAsync(Suffix, token).ConfigureAwait(false);
        await body.FlushAsync(token).ConfigureAwait(false);
    }

    private readonly record struct WatchItem(Storage.WatchEvent Event, StoreException? Error, bool IsBookmark)
    {
        public static readonly WatchItem Bookmark = new(default, null, true);
    }
}
