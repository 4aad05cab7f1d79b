namespace Berth.Node.Pods;

public enum ProbeKind
{
    Liveness,
    Readiness,
    Startup,
}
