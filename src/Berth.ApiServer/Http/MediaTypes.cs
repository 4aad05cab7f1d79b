namespace Berth.ApiServer.Http;

/// <summary>Content negotiation the way kubectl exercises it (research: kubectl-protocol.md 5.4-5.6).</summary>
internal static class MediaTypes
{
    public const string Json = "application/json";
    public const string TableV1 = "application/json;as=Table;v=v1;g=meta.k8s.io";
    public const string TableV1Beta1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";
    public const string ApplyPatch = "application/apply-patch+yaml";

    /// <summary>The Table media type asked for (v1 preferred), or null when the client wants plain objects.</summary>
    public static string? NegotiateTable(string? accept)
    {
        if (string.IsNullOrEmpty(accept) || !accept.Contains("as=Table", StringComparison.Ordinal))
        {
            return null;
        }

        string? found = null;
        foreach (var range in accept.Split(','))
        {
            var parameters = range.Split(';').Select(p => p.Trim()).ToList();
            if (!parameters.Contains("as=Table") || !parameters.Contains("g=meta.k8s.io"))
            {
                continue;
            }

            if (parameters.Contains("v=v1"))
            {
                return TableV1;
            }

            if (parameters.Contains("v=v1beta1"))
            {
                found ??= TableV1Beta1;
            }
        }

        return found;
    }

    /// <summary>The bare media type of a Content-Type header (parameters such as charset dropped), lower case.</summary>
    public static string Essence(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return "";
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }
}
