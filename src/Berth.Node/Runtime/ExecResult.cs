namespace Berth.Node.Runtime;

/// <summary>Outcome of a command run inside a container (exec probes, later kubectl exec).</summary>
public sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut);
