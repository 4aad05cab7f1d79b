namespace Berth.Controllers.Client;

/// <summary>The three patch content types upstream serves for built-in resources.</summary>
public enum PatchType
{
    /// <summary>application/json-patch+json (RFC 6902).</summary>
    Json,

    /// <summary>application/merge-patch+json (RFC 7386).</summary>
    Merge,

    /// <summary>application/strategic-merge-patch+json.</summary>
    StrategicMerge,
}
