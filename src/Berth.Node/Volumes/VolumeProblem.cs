namespace Berth.Node.Volumes;

/// <summary>Why a pod's volume cannot be set up yet; the pod waits (ContainerCreating) with a FailedMount event.</summary>
internal sealed record VolumeProblem(string Volume, string Message);
