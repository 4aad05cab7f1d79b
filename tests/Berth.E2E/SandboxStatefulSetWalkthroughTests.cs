namespace Berth.E2E;

/// <summary>
/// The seeds' walkthroughs against real workloads: every pod is a real nginx in the sandbox runtime, Ready when its
/// process runs, stopped by signal on scale-down, update and deletion.
/// </summary>
public sealed class SandboxStatefulSetWalkthroughTests(SandboxServerFixture fixture) : StatefulSetWalkthrough, IClassFixture<SandboxServerFixture>
{
    protected override Kubectl Kubectl(string version)
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        return fixture.Kubectl(version);
    }
}
