namespace Berth.Node.Runtime;

/// <summary>How a container process ended: exit code (128+signal when killed, like containerd) and kubelet reason.</summary>
public sealed record ContainerExit(int ExitCode, string Reason, string? Message, DateTimeOffset StartedAt, DateTimeOffset FinishedAt)
{
    public int? Signal => ExitCode > 128 ? ExitCode - 128 : null;
}
