using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Berth.Cli.Up;

/// <summary>Progress redrawn in place on a terminal (Spectre.Console live rendering): a line per StatefulSet.</summary>
internal static class LiveProgressView
{
    private static readonly string[] Spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    public static IRenderable Render(IReadOnlyList<StatefulSetProgress> progress, TimeSpan elapsed, bool finished)
    {
        var rows = new List<IRenderable>();
        var frame = Spinner[(int)(elapsed.TotalMilliseconds / 100) % Spinner.Length];
        foreach (var p in progress)
        {
            var mark = p.RolledOut ? "[green]✔[/]" : finished ? "[red]✘[/]" : "[yellow]" + frame + "[/]";
            var count = p.RolledOut ? $"[green]{p.Ready}/{p.Desired}[/]" : $"{p.Ready}/{p.Desired}";
            var pods = string.Join("  ", p.Pods.Select(Pod));
            rows.Add(new Markup($"{mark} [bold]{Markup.Escape(p.DisplayName)}[/] {count} ready  {pods}"
                + (p.RolledOut || p.Status.Length == 0 ? "" : "  [grey]" + Markup.Escape(p.Status) + "[/]")));
            foreach (var reason in p.Waiting)
            {
                rows.Add(new Markup("    [yellow]" + Markup.Escape(reason) + "[/]"));
            }
        }

        rows.Add(new Markup("[grey]" + elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s[/]"));
        return new Rows(rows);
    }

    private static string Pod(PodProgress p)
    {
        var color = p.Problem ? "red" : p.State switch
        {
            "Ready" => "green",
            "-" => "grey",
            "Terminating" => "grey",
            _ => "yellow",
        };
        return $"{Markup.Escape(p.Name)} [{color}]{Markup.Escape(p.State)}[/]";
    }
}
