namespace Berth.E2E;

/// <summary>The seeds' walkthroughs on the simulated node: controller behaviour without process start-up costs.</summary>
public sealed class StatefulSetWalkthroughTests(ServerFixture fixture) : StatefulSetWalkthrough, IClassFixture<ServerFixture>
{
    protected override Kubectl Kubectl(string version) => fixture.Kubectl(version);
}
