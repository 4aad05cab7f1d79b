namespace Berth.ApiServer.Tests.Streaming;

internal sealed record KubectlOutput(int ExitCode, string Stdout, string Stderr)
{
    public KubectlOutput ShouldSucceed()
    {
        Assert.True(ExitCode == 0, ToString());
        return this;
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
