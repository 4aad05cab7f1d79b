using Berth.Controllers.Tests.Fakes;
using Berth.Controllers.Tests.StatefulSets;

namespace Berth.Controllers.Tests.Scenarios;

/// <summary>RetentionPolicyTests, against a real in-process server (registry, validation, admission, graceful deletion) with the simulated node.</summary>
public sealed class RetentionPolicyOnServerTests : RetentionPolicyTests
{
    protected override Task<TestCluster> StartAsync() => TestCluster.StartOnServerAsync();
}
