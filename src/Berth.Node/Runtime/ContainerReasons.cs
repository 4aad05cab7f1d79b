namespace Berth.Node.Runtime;

/// <summary>The reason strings kubelet puts in container states (pkg/kubelet/container and kuberuntime).</summary>
public static class ContainerReasons
{
    public const string Completed = "Completed";
    public const string Error = "Error";
    public const string OomKilled = "OOMKilled";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const string ErrImagePull = "ErrImagePull";
    public const string CreateContainerConfigError = "CreateContainerConfigError";
    public const string StartError = "StartError";
    public const string ContainerCreating = "ContainerCreating";
    public const string PodInitializing = "PodInitializing";
}
