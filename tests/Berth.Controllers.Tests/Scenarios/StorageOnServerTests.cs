using Berth.Controllers.Tests.Fakes;
using Berth.Controllers.Tests.Volumes;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>StorageTests, against a real in-process server (registry, validation, admission, graceful deletion) with the simulated node.</summary>
public sealed class StorageOnServerTests : StorageTests
{
    protected override Task<TestCluster> StartAsync() => TestCluster.StartOnServerAsync();
}
