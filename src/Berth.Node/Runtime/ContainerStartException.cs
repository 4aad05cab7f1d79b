namespace Berth.Node.Runtime;

/// <summary>
/// A container could not be created or started. <see cref="Reason"/> is the kubelet's word for it
/// (ErrImagePull, CreateContainerConfigError, StartError), shown as the waiting or terminated reason.
/// </summary>
public sealed class ContainerStartException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;

    /// <summary>StartError means the process was attempted and failed (exit code 128, like runc); the others never ran.</summary>
    public bool IsStartError => Reason == ContainerReasons.StartError;
}
