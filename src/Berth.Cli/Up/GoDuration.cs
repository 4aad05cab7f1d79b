using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Cli.Up;

/// <summary>
/// Durations as kubectl's flags take them (Go's time.ParseDuration: <c>90s</c>, <c>5m</c>, <c>1m30s</c>,
/// <c>500ms</c>, <c>1h</c>), plus a bare number meaning seconds.
/// </summary>
internal static partial class GoDuration
{
    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var total = 0.0;
        var at = 0;
        foreach (Match m in Part().Matches(text))
        {
            if (m.Index != at)
            {
                return false;
            }

            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => n * 3_600_000,
                "m" => n * 60_000,
                "s" => n * 1_000,
                "ms" => n,
                "us" or "µs" => n / 1_000,
                _ => n / 1_000_000,
            };
            at = m.Index + m.Length;
        }

        if (at != text.Length || at == 0)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>Short human form for messages: 45s, 5m, 1m30s, 1.5s.</summary>
    public static string Format(TimeSpan t)
    {
        if (t < TimeSpan.FromMinutes(1))
        {
            return t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s";
        }

        var minutes = (int)t.TotalMinutes;
        var rest = t - TimeSpan.FromMinutes(minutes);
        return minutes.ToString(CultureInfo.InvariantCulture) + "m"
            + (rest.TotalSeconds >= 1 ? ((int)rest.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s" : "");
    }
}
