namespace Berth.Storage;

/// <summary>
/// Key and prefix validation at the store boundary. Keys look like etcd keys Kubernetes writes
/// (<c>/registry/apps/statefulsets/default/web</c>): absolute, no empty, "." or ".." segments, no control
/// characters, bounded length (etcd itself takes any bytes; we are stricter because keys come from
/// resource names that the API server already validated, so anything else is a bug or an attack).
/// </summary>
internal static class StoreKeys
{
    /// <summary>Upstream object names are at most 253 characters; this leaves room for group, resource and namespace.</summary>
    public const int MaxKeyLength = 1024;

    public static void ValidateKey(string key)
    {
        if (!IsValid(key, allowTrailingSlash: false, out var reason))
        {
            throw new StoreException(StoreErrorCode.InvalidKey, $"invalid key \"{Printable(key)}\": {reason}");
        }
    }

    /// <summary>A list or watch prefix: like a key, but may end with "/" (the usual case) and may be just "/".</summary>
    public static void ValidatePrefix(string prefix)
    {
        if (!IsValid(prefix, allowTrailingSlash: true, out var reason))
        {
            throw new StoreException(StoreErrorCode.InvalidKey, $"invalid key prefix \"{Printable(prefix)}\": {reason}");
        }
    }

    private static bool IsValid(string? key, bool allowTrailingSlash, out string reason)
    {
        if (string.IsNullOrEmpty(key))
        {
            reason = "must not be empty";
            return false;
        }

        if (key.Length > MaxKeyLength)
        {
            reason = $"must be at most {MaxKeyLength} characters";
            return false;
        }

        if (key[0] != '/')
        {
            reason = "must start with \"/\"";
            return false;
        }

        foreach (var c in key)
        {
            if (char.IsControl(c))
            {
                reason = "must not contain control characters";
                return false;
            }
        }

        var body = key.AsSpan(1);
        if (allowTrailingSlash && body.EndsWith("/"))
        {
            body = body[..^1];
        }

        if (body.IsEmpty)
        {
            if (allowTrailingSlash)
            {
                reason = "";
                return true;
            }

            reason = "must name something below \"/\"";
            return false;
        }

        foreach (var range in body.Split('/'))
        {
            var segment = body[range];
            if (segment.IsEmpty)
            {
                reason = "must not contain empty segments";
                return false;
            }

            if (segment is "." or "..")
            {
                reason = "must not contain \".\" or \"..\" segments";
                return false;
            }
        }

        if (System.Text.Encoding.UTF8.GetByteCount(key) > MaxKeyLength)
        {
            reason = $"must be at most {MaxKeyLength} bytes";
            return false;
        }

        reason = "";
        return true;
    }

    private static string Printable(string? key)
    {
        if (key is null)
        {
            return "";
        }

        var shown = key.Length > 80 ? key[..80] + "..." : key;
        return string.Create(shown.Length, shown, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
