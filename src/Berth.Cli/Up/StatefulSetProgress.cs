namespace Berth.Cli.Up;

/// <summary>
/// A StatefulSet's roll-out as <c>berth up</c> shows it: its pods in ordinal order and, while it is not rolled out,
/// why it waits (<c>PVC www-web-2 Pending: ...</c>, <c>web-1 not Ready: readiness probe failed: ...</c>).
/// </summary>
internal sealed record StatefulSetProgress(
    string Namespace,
    string Name,
    int Desired,
    int Ready,
    bool RolledOut,
    string Status,
    IReadOnlyList<PodProgress> Pods,
    IReadOnlyList<string> Waiting)
{
    /// <summary>The name, qualified with its namespace unless that is "default".</summary>
    public string DisplayName => Namespace == "default" ? Name : Namespace + "/" + Name;

    /// <summary>The plain-output line: <c>web 1/3 ready: web-0 Ready, web-1 Pending, web-2 -</c>.</summary>
    public string PlainLine =>
        $"{DisplayName} {Ready}/{Desired} ready: "
        + (Pods.Count == 0 ? "no pods" : string.Join(", ", Pods.Select(p => p.Name + " " + p.State)))
        + (RolledOut ? " (rolled out)" : Status.Length > 0 ? " (" + Status + ")" : "");
}
