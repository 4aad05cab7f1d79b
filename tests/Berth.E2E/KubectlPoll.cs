namespace Berth.E2E;

/// <summary>
/// Runs a kubectl command again and again until its output shows what a test waits for: the controllers and the node
/// reconcile asynchronously, so a test polls as <c>kubectl wait</c> and <c>kubectl rollout status</c> do rather than
/// sleeping a fixed time.
/// </summary>
internal static class KubectlPoll
{
    /// <summary>
    /// The stdout of the first successful run of <paramref name="args"/> that <paramref name="done"/> accepts; a test
    /// failure, with the last run's output, once <paramref name="seconds"/> have passed.
    /// </summary>
    public static async Task<string> UntilAsync(Kubectl kubectl, string args, Func<string, bool> done, int seconds, int intervalMilliseconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var result = await kubectl.RunAsync(args);
            last = result.ToString();
            if (result.ExitCode == 0 && done(result.Stdout))
            {
                return result.Stdout;
            }

            await Task.Delay(intervalMilliseconds);
        }

        throw new Xunit.Sdk.XunitException($"kubectl {args} never got there; last:\n{last}");
    }
}
