namespace Berth.E2E;

/// <summary>Polling waits over real kubectl for the E2E suites: a command until its output says so, a pod until Ready.</summary>
internal static class KubectlWaits
{
    /// <summary>Runs <paramref name="args"/> every 300 ms until it succeeds with output <paramref name="done"/> accepts.</summary>
    public static Task<string> UntilAsync(this Kubectl kubectl, string args, Func<string, bool> done, int seconds = 120) =>
        KubectlPoll.UntilAsync(kubectl, args, done, seconds, intervalMilliseconds: 300);

    public static Task WaitReadyAsync(this Kubectl kubectl, string ns, string pod, int seconds = 120) =>
        kubectl.UntilAsync($"get pod {pod} -n {ns} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}'", s => s == "True", seconds);
}
