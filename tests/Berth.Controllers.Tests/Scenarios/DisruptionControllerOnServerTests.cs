using Berth.Controllers.Tests.Disruption;
using Berth.Controllers.Tests.Fakes;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>DisruptionControllerTests, against a real in-process server (registry, validation, admission, graceful deletion) with the simulated node.</summary>
public sealed class DisruptionControllerOnServerTests : DisruptionControllerTests
{
    protected override Task<TestCluster> StartAsync() => TestCluster.StartOnServerAsync();
}
