namespace Berth.Node.Images;

/// <summary>Parses an image reference the way the docker reference grammar does (distribution/reference).</summary>
internal static class ImageReference
{
    /// <summary>
    /// The repository path without registry host, tag or digest, with Docker Hub's implicit "library/" removed:
    /// "docker.io/library/postgres:16@sha256:..." → "postgres", "quay.io/org/app:v1" → "org/app".
    /// </summary>
    public static string Repository(string image)
    {
        var name = image.Trim();
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            name = name[..at];
        }

        var lastSlash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > lastSlash)
        {
            name = name[..colon];
        }

        var firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        if (firstSlash > 0)
        {
            // The first component is a registry host when it has a dot or a port, or is "localhost".
            var first = name[..firstSlash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                name = name[(firstSlash + 1)..];
            }
        }

        if (name.StartsWith("library/", StringComparison.Ordinal))
        {
            name = name["library/".Length..];
        }

        return name.ToLowerInvariant();
    }
}
