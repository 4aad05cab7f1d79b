using Berth.Controllers.Tests.Fakes;
using Berth.Controllers.Tests.GarbageCollection;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>GarbageCollectorTests, against a real in-process server (registry, validation, admission, graceful deletion) with the simulated node.</summary>
public sealed class GarbageCollectorOnServerTests : GarbageCollectorTests
{
    protected override Task<TestCluster> StartAsync() => TestCluster.StartOnServerAsync();
}
