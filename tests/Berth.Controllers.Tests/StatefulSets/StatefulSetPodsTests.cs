using Berth.Controllers.StatefulSets;
using Berth.Controllers.Tests.Fakes;
using FsCheck;
using FsCheck.Fluent;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

public sealed class StatefulSetPodsTests
{
    [Theory]
    [InlineData("web-0", "web", 0)]
    [InlineData("my-app-12", "my-app", 12)]
    [InlineData("web", "", -1)]
    [InlineData("web-", "", -1)]
    [InlineData("web-99999999999", "", -1)]
    [InlineData("web-1a", "", -1)]
    public void Parent_and_ordinal_follow_the_name_pattern(string name, string parent, int ordinal) =>
        Assert.Equal((parent, ordinal), StatefulSetPods.ParentAndOrdinal(name));

    [Fact]
    public void Pod_names_parse_back_to_their_set_and_ordinal() =>
        Prop.ForAll(Gen.Elements("web", "a-b", "db-0", "x").ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (name, ordinal) =>
        {
            var set = TestSets.Web(name: name);
            return StatefulSetPods.ParentAndOrdinal(StatefulSetPods.PodName(set, ordinal)) == (name, ordinal);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_new_pod_carries_the_identity_of_its_ordinal()
    {
        var set = TestSets.Web();
        set.Metadata.Uid = "set-uid";
        var pod = StatefulSetPods.NewPod(set, 4);
        Assert.Equal(("web-4", "web-4", "web"), (pod.Metadata.Name, pod.Spec.Hostname, pod.Spec.Subdomain));
        Assert.Equal("4", pod.Metadata.Labels["apps.kubernetes.io/pod-index"]);
        Assert.True(StatefulSetPods.IdentityMatches(set, pod));
        Assert.True(StatefulSetPods.StorageMatches(set, pod));
        Assert.Equal("www-web-4", pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName);
        Assert.Equal("set-uid", pod.Metadata.OwnerReferences.Single().Uid);
    }

    [Fact]
    public void Available_requires_ready_for_longer_than_minReadySeconds()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web-0" },
            Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = now.UtcDateTime.AddSeconds(-10) }] },
        };
        Assert.True(StatefulSetPods.IsAvailable(pod, 0, now));
        Assert.True(StatefulSetPods.IsAvailable(pod, 9, now));
        Assert.False(StatefulSetPods.IsAvailable(pod, 10, now));
    }

    [Theory]
    [InlineData("Retain", "Retain", 0, false, false)]
    [InlineData("Delete", "Retain", 0, true, false)]
    [InlineData("Retain", "Delete", 0, false, false)]
    [InlineData("Retain", "Delete", 5, false, true)]
    [InlineData("Delete", "Delete", 0, true, false)]
    [InlineData("Delete", "Delete", 5, false, true)]
    public void The_retention_policy_decides_which_owner_a_claim_gets(string whenDeleted, string whenScaled, int ordinal, bool setRef, bool podRef)
    {
        var set = TestSets.Web(replicas: 3);
        set.Spec.PersistentVolumeClaimRetentionPolicy = new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = whenDeleted, WhenScaled = whenScaled };
        var pod = StatefulSetPods.NewPod(set, ordinal);
        Assert.Equal((setRef, podRef), RetentionPolicy.Desired(set, pod));
    }

    [Fact]
    public void A_stale_owner_ref_leaves_the_claim_alone_and_a_non_controller_ref_is_rewritten()
    {
        var set = TestSets.Web(replicas: 3);
        set.Metadata.Uid = "set-uid";
        set.Spec.PersistentVolumeClaimRetentionPolicy = new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = "Delete", WhenScaled = "Retain" };
        var pod = StatefulSetPods.NewPod(set, 0);
        pod.Metadata.Uid = "pod-uid";
        var (_, claim) = StatefulSetPods.Claims(set, 0).Single();

        claim.Metadata.OwnerReferences = [new V1OwnerReference { Kind = "StatefulSet", Name = "web", Uid = "old-uid", Controller = true }];
        Assert.True(RetentionPolicy.IsUpToDate(claim, set, pod));
        Assert.False(RetentionPolicy.Update(claim, set, pod));

        claim.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = "web", Uid = "set-uid", Controller = false }];
        Assert.False(RetentionPolicy.IsUpToDate(claim, set, pod));
        Assert.True(RetentionPolicy.Update(claim, set, pod));
        Assert.Equal((true, true), (claim.Metadata.OwnerReferences.Single().Controller, claim.Metadata.OwnerReferences.Single().BlockOwnerDeletion));
        Assert.True(RetentionPolicy.IsUpToDate(claim, set, pod));
    }

    [Theory]
    [InlineData(null, 10, 1)]
    [InlineData("3", 10, 3)]
    [InlineData("25%", 10, 2)]
    [InlineData("1%", 10, 1)]
    public void MaxUnavailable_is_an_int_or_a_percent_rounded_down_at_least_one(string? value, int replicas, int expected)
    {
        var set = TestSets.Web(replicas: replicas);
        set.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateStatefulSetStrategy { MaxUnavailable = value is null ? null : value.EndsWith('%') ? value : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        };
        Assert.Equal(expected, StatefulSetControl.MaxUnavailable(set));
    }
}
