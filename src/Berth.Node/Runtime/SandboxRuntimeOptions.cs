namespace Berth.Node.Runtime;

public sealed record SandboxRuntimeOptions
{
    /// <summary>Pod state lives under StateDirectory/pods/&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;.</summary>
    public required string StateDirectory { get; init; }

    public string PodCidr { get; init; } = "10.88.0.0/16";

    public string ClusterDomain { get; init; } = "cluster.local";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>An optional user image catalog file (YAML or JSON).</summary>
    public string? ImageCatalogFile { get; init; }
}
