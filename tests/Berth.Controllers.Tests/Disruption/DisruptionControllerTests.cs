using Berth.Controllers.Disruption;
using Berth.Controllers.Simulation;
using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.Disruption;

/// <summary>Runs on the fake API; DisruptionControllerOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class DisruptionControllerTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    private static V1PodDisruptionBudget Budget(string name, string? minAvailable = null, string? maxUnavailable = null, string app = "web") => new()
    {
        ApiVersion = "policy/v1",
        Kind = "PodDisruptionBudget",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Generation = 1 },
        Spec = new V1PodDisruptionBudgetSpec
        {
            MinAvailable = minAvailable is null ? null : (IntOrString)minAvailable,
            MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
        },
    };

    private static V1PodDisruptionBudgetStatus? Status(TestCluster c, string name) => c.Get<V1PodDisruptionBudget>(name)?.Status;

    [Fact]
    public async Task An_integer_minAvailable_allows_the_ready_pods_above_it_and_none_once_one_is_unready()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 3, claims: false, parallel: true));
        await c.WaitReadyAsync("web", 3);
        await c.Api.CreateAsync(Budget("web-pdb", minAvailable: "2"));
        await c.WaitAsync(() => Status(c, "web-pdb")?.DisruptionsAllowed == 1, "one disruption allowed");

        var status = Status(c, "web-pdb")!;
        Assert.Equal((3, 2, 3, 1L), (status.CurrentHealthy, status.DesiredHealthy, status.ExpectedPods, status.ObservedGeneration ?? 0));
        var condition = Assert.Single(status.Conditions);
        Assert.Equal(("DisruptionAllowed", "True", "SufficientPods"), (condition.Type, condition.Status, condition.Reason));

        await c.AnnotatePodAsync("web-1", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.WaitAsync(() => Status(c, "web-pdb")?.CurrentHealthy == 2, "web-1 no longer healthy");
        status = Status(c, "web-pdb")!;
        Assert.Equal(0, status.DisruptionsAllowed);
        condition = Assert.Single(status.Conditions);
        Assert.Equal(("False", "InsufficientPods"), (condition.Status, condition.Reason));
    }

    [Fact]
    public async Task Percentages_and_maxUnavailable_count_the_statefulset_scale_not_the_pods_that_exist()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 4, claims: false, parallel: true));
        await c.WaitReadyAsync("web", 4);
        // One pod stays unready: the scale (4) is what is expected, not the 3 healthy pods.
        await c.AnnotatePodAsync("web-3", SimulatedNode.SimulateReadyAnnotation, "false");
        await c.Api.CreateAsync(Budget("max-half", maxUnavailable: "50%"));
        await c.Api.CreateAsync(Budget("min-third", minAvailable: "30%"));
        await c.Api.CreateAsync(Budget("max-one", maxUnavailable: "1"));

        await c.WaitAsync(() => Status(c, "max-half")?.CurrentHealthy == 3 && Status(c, "min-third")?.CurrentHealthy == 3
            && Status(c, "max-one")?.CurrentHealthy == 3, "statuses");
        // maxUnavailable 50% of 4 = 2 → desired 2; healthy 3 → 1 allowed.
        Assert.Equal((3, 2, 1), (Status(c, "max-half")!.CurrentHealthy, Status(c, "max-half")!.DesiredHealthy, Status(c, "max-half")!.DisruptionsAllowed));
        // minAvailable 30% of 4, rounded up = 2.
        Assert.Equal((2, 1), (Status(c, "min-third")!.DesiredHealthy, Status(c, "min-third")!.DisruptionsAllowed));
        // maxUnavailable 1 of 4 → desired 3 = healthy → nothing allowed.
        Assert.Equal((3, 0), (Status(c, "max-one")!.DesiredHealthy, Status(c, "max-one")!.DisruptionsAllowed));

        // Scaling the set changes what is expected.
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 6);
        await c.WaitAsync(() => Status(c, "max-half")?.ExpectedPods == 6, "expected follows the scale");
    }

    [Fact]
    public async Task A_pod_the_eviction_subresource_recorded_is_not_counted_until_its_deletion_is_overdue()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 3, claims: false, parallel: true));
        await c.WaitReadyAsync("web", 3);
        await c.Api.CreateAsync(Budget("web-pdb", minAvailable: "1"));
        await c.WaitAsync(() => Status(c, "web-pdb")?.DisruptionsAllowed == 2, "two allowed");

        // What the eviction subresource writes: one disruption spent, the pod recorded.
        var budget = c.Get<V1PodDisruptionBudget>("web-pdb")!;
        budget.Status.DisruptionsAllowed = 1;
        budget.Status.DisruptedPods = new Dictionary<string, DateTime?> { ["web-0"] = c.Time.GetUtcNow().UtcDateTime };
        await c.Api.UpdateStatusAsync(budget);
        await c.SettleAsync(TimeSpan.FromSeconds(5));
        var status = Status(c, "web-pdb")!;
        Assert.Equal((2, 1), (status.CurrentHealthy, status.DisruptionsAllowed));
        Assert.Contains("web-0", status.DisruptedPods.Keys);

        // The pod was never deleted: after the 2-minute timeout it counts again and a NotDeleted event says why.
        c.Step = TimeSpan.FromSeconds(5);
        await c.WaitAsync(() => Status(c, "web-pdb")?.DisruptedPods is null, "recorded pod dropped", TimeSpan.FromMinutes(4));
        Assert.True(c.Time.GetUtcNow() >= status.DisruptedPods["web-0"]!.Value + DisruptionBudgets.DeletionTimeout);
        Assert.Equal((3, 2), (Status(c, "web-pdb")!.CurrentHealthy, Status(c, "web-pdb")!.DisruptionsAllowed));
        await c.Manager.FlushEventsAsync();
        Assert.Contains(c.Events(), e => e.Reason == "NotDeleted" && e.InvolvedObject.Name == "web-0"
            && e.Message == "Pod was expected by PDB default/web-pdb to be deleted but it wasn't");
    }

    [Fact]
    public async Task A_budget_over_pods_of_an_unknown_controller_fails_safe()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 1, claims: false));
        await c.WaitReadyAsync("web", 1);
        await c.UpdatePodAsync("web-0", p => p.Metadata.OwnerReferences = [new V1OwnerReference
        {
            ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = "f00", Controller = true,
        }]);
        await c.Api.CreateAsync(Budget("web-pdb", maxUnavailable: "1"));
        await c.WaitAsync(() => Status(c, "web-pdb")?.Conditions?.Any(x => x.Reason == "SyncFailed") == true, "fail-safe");
        var condition = Assert.Single(Status(c, "web-pdb")!.Conditions);
        Assert.Equal(("False", "found no controllers for pod \"web-0\""), (condition.Status, condition.Message));
        Assert.Equal(0, Status(c, "web-pdb")!.DisruptionsAllowed);
        await c.Manager.FlushEventsAsync();
        Assert.Contains(c.Events(), e => e.Reason == "CalculateExpectedPodCountFailed"
            && e.Message == "Failed to calculate the number of expected pods: found no controllers for pod \"web-0\"");
    }

    [Theory]
    [InlineData("2", 5, 2)]
    [InlineData("50%", 5, 3)]
    [InlineData("1%", 5, 1)]
    [InlineData("0%", 5, 0)]
    [InlineData("100%", 3, 3)]
    public void Scaled_values_round_percentages_up(string value, int total, int expected) =>
        Assert.Equal(expected, DisruptionBudgets.ScaledValue((IntOrString)value, total, roundUp: true));

    [Theory]
    [InlineData(3, 2, 3, 1)]
    [InlineData(1, 2, 3, 0)]
    [InlineData(3, 0, 0, 0)]
    public void Disruptions_are_healthy_minus_desired_and_none_while_nothing_is_expected(int healthy, int desired, int expected, int allowed) =>
        Assert.Equal(allowed, DisruptionBudgets.DisruptionsAllowed(healthy, desired, expected));
}
