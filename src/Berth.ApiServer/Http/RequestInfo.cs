namespace Berth.ApiServer.Http;

/// <summary>
/// A resource request decoded from its path, as upstream's RequestInfoFactory does:
/// /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]] and the same under /apis/{group}/{version}.
/// </summary>
internal sealed record RequestInfo(
    string Group,
    string Version,
    string? Namespace,
    string Resource,
    string? Name,
    string? Subresource)
{
    // upstream namespaceSubresources: /namespaces/{name}/status and /finalize address the namespace itself.
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    /// <summary>Null when the path is not a resource path (discovery documents are answered elsewhere).</summary>
    public static RequestInfo? Parse(string path)
    {
        var parts = path.Trim('/').Split('/');
        string group, version;
        int i;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            group = "";
            version = parts[1];
            i = 2;
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            group = parts[1];
            version = parts[2];
            i = 3;
        }
        else
        {
            return null;
        }

        var rest = parts.AsSpan(i);
        if (rest.IsEmpty || rest.ToArray().Any(p => p.Length == 0))
        {
            return null;
        }

        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                rest = rest[2..];
            }
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : null;
        var sub = rest.Length > 2 ? rest[2] : null;
        if (rest.Length > 3)
        {
            return null;
        }

        // The namespaces resource itself: its "namespace" is its name, as upstream sets it.
        if (resource == "namespaces")
        {
            ns = null;
        }

        return new RequestInfo(group, version, ns, resource, name, sub);
    }
}
