using Berth.Cli.Up;

namespace Berth.Cli.Tests;

public sealed class PlainProgressViewTests
{
    private static StatefulSetProgress Web(int ready, string[] states, params string[] waiting) =>
        new("default", "web", 3, ready, ready == 3, ready == 3 ? "" : "waiting", [.. states.Select((s, i) => new PodProgress("web-" + i, i, s, false))], waiting);

    [Fact]
    public void A_line_is_printed_only_when_it_changes_and_each_reason_once_while_it_lasts()
    {
        var output = new StringWriter();
        var view = new PlainProgressView(output);

        view.Show([Web(0, ["Pending", "-", "-"], "PVC www-web-0 Pending")]);
        view.Show([Web(0, ["Pending", "-", "-"], "PVC www-web-0 Pending")]);
        view.Show([Web(1, ["Ready", "Pending", "-"])]);
        view.Show([Web(3, ["Ready", "Ready", "Ready"])]);

        Assert.Equal(
            """
            web 0/3 ready: web-0 Pending, web-1 -, web-2 - (waiting)
              PVC www-web-0 Pending
            web 1/3 ready: web-0 Ready, web-1 Pending, web-2 - (waiting)
            web 3/3 ready: web-0 Ready, web-1 Ready, web-2 Ready (rolled out)

            """.ReplaceLineEndings("\n"),
            output.ToString().ReplaceLineEndings("\n"));
    }
}
