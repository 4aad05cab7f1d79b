using System.Globalization;

namespace Berth.Node.Pods;

/// <summary>Go's time.Duration.String() for whole seconds (kubelet puts it in back-off messages: 10s, 1m20s, 5m0s).</summary>
internal static class GoDuration
{
    public static string Format(TimeSpan d)
    {
        var total = (long)d.TotalSeconds;
        var h = total / 3600;
        var m = total % 3600 / 60;
        var s = total % 60;
        return h > 0 ? string.Create(CultureInfo.InvariantCulture, $"{h}h{m}m{s}s")
            : m > 0 ? string.Create(CultureInfo.InvariantCulture, $"{m}m{s}s")
            : string.Create(CultureInfo.InvariantCulture, $"{s}s");
    }
}
