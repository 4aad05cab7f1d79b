namespace Berth.Cli.Up;

/// <summary>
/// Progress as plain lines (not a terminal, NO_COLOR, --plain): a StatefulSet's line is printed again only when it
/// changed, each waiting reason once while it lasts.
/// </summary>
internal sealed class PlainProgressView(TextWriter output)
{
    private readonly Dictionary<string, string> _lastLine = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _lastReasons = new(StringComparer.Ordinal);

    public void Show(IReadOnlyList<StatefulSetProgress> progress)
    {
        foreach (var p in progress)
        {
            var key = p.Namespace + "/" + p.Name;
            var line = p.PlainLine;
            if (!_lastLine.TryGetValue(key, out var last) || last != line)
            {
                output.WriteLine(line);
                _lastLine[key] = line;
            }

            var shown = _lastReasons.TryGetValue(key, out var s) ? s : [];
            foreach (var reason in p.Waiting.Where(r => !shown.Contains(r)))
            {
                output.WriteLine("  " + reason);
            }

            _lastReasons[key] = [.. p.Waiting];
        }

        output.Flush();
    }
}
