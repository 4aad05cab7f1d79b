namespace Berth.E2E;

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public KubectlResult ShouldSucceed()
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"kubectl exited {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return this;
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
