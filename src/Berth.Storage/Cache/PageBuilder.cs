namespace Berth.Storage.Cache;

/// <summary>Turns an ordered run of values into one list page: filter, limit, continue token, remaining count.</summary>
internal sealed class PageBuilder(string prefix, long revision, long limit, Func<KeyValue, bool>? filter)
{
    private readonly List<KeyValue> _items = [];
    private string? _lastKey;
    private bool _full;
    private long _remaining;
    private bool _more;

    /// <summary>Offers the next value; false once the page is complete and nothing more needs to be seen.</summary>
    public bool Add(in KeyValue kv)
    {
        if (filter is not null && !filter(kv))
        {
            return true;
        }

        if (!_full)
        {
            _items.Add(kv);
            _lastKey = kv.Key;
            _full = limit > 0 && _items.Count >= limit;
            return true;
        }

        // Past the limit: with no filter we count the rest for remainingItemCount (upstream only reports it
        // for unfiltered lists); with a filter one more match is enough to know a next page exists.
        _more = true;
        _remaining++;
        return filter is null;
    }

    public ListResult Build()
    {
        if (!_more)
        {
            return new ListResult(_items, revision, null, null);
        }

        var token = ContinueToken.Encode(revision, _lastKey + "\0", prefix);
        return new ListResult(_items, revision, token, filter is null ? _remaining : null);
    }
}
