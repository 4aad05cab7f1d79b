using System.Text.Json;

namespace Berth.Storage;

/// <summary>
/// The opaque list continuation token. Same shape as upstream's (apiserver storage/continue.go):
/// base64url (no padding) of <c>{"v":"meta.k8s.io/v1","rv":R,"start":"..."}</c> where start is the next key
/// relative to the list prefix, so a token cannot be replayed against another prefix to read outside it.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    public static string Encode(long revision, string nextKey, string prefix)
    {
        var relative = nextKey[prefix.Length..];
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("v"u8, Version);
            writer.WriteNumber("rv"u8, revision);
            writer.WriteString("start"u8, relative);
            writer.WriteEndObject();
        }

        return Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Decodes a token for a list of <paramref name="prefix"/>: the pinned revision and the absolute start key.</summary>
    public static (long Revision, string StartKey) Decode(string token, string prefix)
    {
        byte[] bytes;
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            bytes = Convert.FromBase64String(b64);
        }
        catch (FormatException e)
        {
            throw Invalid($"continue key is not valid: {e.Message}");
        }

        string? version = null;
        long? revision = null;
        string? start = null;
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("continue key is not valid: not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "v" when reader.TokenType == JsonTokenType.String:
                        version = reader.GetString();
                        break;
                    case "rv" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var rv):
                        revision = rv;
                        break;
                    case "start" when reader.TokenType == JsonTokenType.String:
                        start = reader.GetString();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Invalid($"continue key is not valid: {e.Message}");
        }

        if (version != Version)
        {
            throw Invalid($"continue key is not valid: server does not recognize this encoded version \"{version}\"");
        }

        if (revision is not > 0)
        {
            throw Invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }

        if (string.IsNullOrEmpty(start))
        {
            throw Invalid("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
        }

        // Upstream path.Clean()s "/"+start and rejects anything that changes, so ".." cannot climb out of the prefix.
        var segments = start.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i] is "." or ".." || segments[i].Length == 0 && i > 0)
            {
                throw Invalid($"continue key is not valid: {start}");
            }
        }

        return (revision.Value, prefix + start);
    }

    private static StoreException Invalid(string message) => new(StoreErrorCode.InvalidContinue, message);
}
