namespace Berth.Node.Runtime;

public sealed record SandboxRuntimeOptions
{
    /// <summary>Pod state lives under StateDirectory/pods/&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;.</summary>
    public required string StateDirectory { get; init; }

    public string PodCidr { get; init; } = "10.88.0.0/16";

    public string ClusterDomain { get; init; } = "cluster.local";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Host directories hidden from every pod (an empty tmpfs over them): Berth's data dir holds the API token, the CA
    /// key and other pods' volumes, and pods see the host root as their lower layer. The state directory is always hidden.
    /// </summary>
    public IReadOnlyList<string> HiddenPaths { get; init; } = [];

    /// <summary>An optional user image catalog file (YAML or JSON).</summary>
    public string? ImageCatalogFile { get; init; }
}
