namespace Berth.Controllers.Runtime;

/// <summary>Names of the informer indexes controllers share.</summary>
internal static class IndexNames
{
    public const string Namespace = "namespace";

    /// <summary>Controller ownerReference UID, or "orphan/&lt;namespace&gt;" for objects without a controller.</summary>
    public const string ControllerUid = "controllerUid";

    /// <summary>Every ownerReference UID.</summary>
    public const string OwnerUid = "ownerUid";

    /// <summary>"namespace/claimName" of every PersistentVolumeClaim a pod mounts.</summary>
    public const string ClaimName = "claimName";

    /// <summary>spec.nodeName of pods.</summary>
    public const string NodeName = "nodeName";
}
