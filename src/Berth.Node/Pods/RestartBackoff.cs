namespace Berth.Node.Pods;

/// <summary>
/// kubelet's container restart back-off (pkg/kubelet/kuberuntime doBackOff over flowcontrol.Backoff): the first
/// restart is immediate, then 10 s, doubling to 5 min; a container that ran for longer than twice the cap
/// (10 min) since its last restart starts over at 10 s.
/// </summary>
internal sealed class RestartBackoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Max = TimeSpan.FromMinutes(5);
    private TimeSpan? _current;
    private DateTimeOffset _lastUpdate;

    /// <summary>How long to wait before restarting a container that finished at <paramref name="finishedAt"/>.</summary>
    public TimeSpan Next(DateTimeOffset finishedAt)
    {
        if (_current is not null && finishedAt - _lastUpdate > 2 * Max)
        {
            _current = null;
        }

        _lastUpdate = finishedAt;
        var wait = _current ?? TimeSpan.Zero;
        _current = _current is null ? Initial : TimeSpan.FromTicks(Math.Min(_current.Value.Ticks * 2, Max.Ticks));
        return wait;
    }
}
