using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.Volumes;

/// <summary>Runs on the fake API; StorageOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class StorageTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    [Fact]
    public async Task The_default_storage_class_is_created_at_startup()
    {
        await using var c = await StartAsync();
        var sc = c.Get<V1StorageClass>("standard", null)!;
        Assert.Equal("true", sc.Metadata.Annotations["storageclass.kubernetes.io/is-default-class"]);
        Assert.Equal(("berth.dev/local-path", "WaitForFirstConsumer", "Delete"), (sc.Provisioner, sc.VolumeBindingMode, sc.ReclaimPolicy));
        Assert.Equal("True", c.Get<V1Node>("berth", null)!.Status.Conditions.Single(x => x.Type == "Ready").Status);
    }

    [Fact]
    public async Task A_claim_binds_to_a_provisioned_local_volume_with_node_affinity()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 1));
        await c.WaitReadyAsync("web", 1);
        await c.WaitAsync(() => c.Get<V1PersistentVolumeClaim>("www-web-0")?.Status?.Phase == "Bound", "claim bound");
        var claim = c.Get<V1PersistentVolumeClaim>("www-web-0")!;
        var pv = c.Get<V1PersistentVolume>(claim.Spec.VolumeName, null)!;
        Assert.Equal("pvc-" + claim.Metadata.Uid, pv.Metadata.Name);
        Assert.Equal("Bound", pv.Status.Phase);
        Assert.Equal(("standard", "Delete"), (pv.Spec.StorageClassName, pv.Spec.PersistentVolumeReclaimPolicy));
        Assert.Equal(["ReadWriteOnce"], pv.Spec.AccessModes);
        Assert.Equal(["ReadWriteOnce"], claim.Status.AccessModes);
        Assert.Equal("1Gi", claim.Status.Capacity["storage"].ToString());
        Assert.Equal("berth", pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values.Single());
        Assert.Equal(Path.Combine(c.VolumesDir, pv.Metadata.Name), pv.Spec.Local.Path);
        Assert.True(Directory.Exists(pv.Spec.Local.Path));
        Assert.Equal("berth", claim.Metadata.Annotations["volume.kubernetes.io/selected-node"]);
    }

    [Fact]
    public async Task A_claim_naming_a_missing_class_stays_pending_and_so_does_its_pod()
    {
        await using var c = await StartAsync();
        var manifest = TestSets.Web(replicas: 1);
        manifest.Spec.VolumeClaimTemplates[0].Spec.StorageClassName = "fast-ssd";
        await c.CreateAsync(manifest);
        await c.WaitAsync(() => c.Get<V1Pod>("web-0")?.Status?.Conditions?.Any(x => x.Type == "PodScheduled" && x.Status == "False") == true, "unschedulable");
        await c.SettleAsync(TimeSpan.FromSeconds(2));
        await c.Manager.FlushEventsAsync();

        Assert.Equal("Pending", c.Get<V1PersistentVolumeClaim>("www-web-0")!.Status?.Phase ?? "Pending");
        var pod = c.Get<V1Pod>("web-0")!;
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Null(pod.Spec.NodeName);
        var scheduled = pod.Status.Conditions.Single(x => x.Type == "PodScheduled");
        Assert.Equal("Unschedulable", scheduled.Reason);
        Assert.Equal("0/1 nodes are available: 1 pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.", scheduled.Message);
        Assert.Contains(c.Events(), e => e.Reason == "ProvisioningFailed" && e.Type == "Warning" && e.InvolvedObject.Name == "www-web-0"
            && e.Message == "storageclass.storage.k8s.io \"fast-ssd\" not found");
        Assert.Contains(c.Events(), e => e.Reason == "FailedScheduling" && e.InvolvedObject.Name == "web-0");

        // Creating the class lets everything proceed.
        var sc = Berth.Controllers.Volumes.StorageClasses.Standard();
        sc.Metadata.Name = "fast-ssd";
        sc.Metadata.Annotations = null;
        await c.Api.CreateAsync(sc, TestContext.Current.CancellationToken);
        await c.WaitReadyAsync("web", 1);
    }

    [Fact]
    public async Task Retain_reclaim_keeps_a_released_volume_and_its_directory()
    {
        await using var c = await StartAsync();
        var sc = Berth.Controllers.Volumes.StorageClasses.Standard();
        (sc.Metadata.Name, sc.Metadata.Annotations, sc.ReclaimPolicy) = ("keep", null, "Retain");
        await c.Api.CreateAsync(sc, TestContext.Current.CancellationToken);
        var manifest = TestSets.Web(replicas: 1);
        manifest.Spec.VolumeClaimTemplates[0].Spec.StorageClassName = "keep";
        await c.CreateAsync(manifest);
        await c.WaitReadyAsync("web", 1);
        await c.WaitAsync(() => c.Get<V1PersistentVolumeClaim>("www-web-0")?.Status?.Phase == "Bound", "bound");
        var pvName = c.Get<V1PersistentVolumeClaim>("www-web-0")!.Spec.VolumeName;

        await c.Api.DeleteAsync<V1StatefulSet>("default", "web", null, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Pods("web").Count == 0, "pods gone");
        await c.Api.DeleteAsync<V1PersistentVolumeClaim>("default", "www-web-0", null, TestContext.Current.CancellationToken);
        await c.WaitAsync(() => c.Get<V1PersistentVolume>(pvName, null)?.Status?.Phase == "Released", "released");
        await c.SettleAsync(TimeSpan.FromSeconds(2));
        var pv = c.Get<V1PersistentVolume>(pvName, null)!;
        Assert.Equal("Released", pv.Status.Phase);
        Assert.True(Directory.Exists(pv.Spec.Local.Path));
    }

    [Fact]
    public async Task A_scaled_down_then_up_pod_gets_its_old_claim_and_data_back()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 2));
        await c.WaitReadyAsync("web", 2);
        await c.WaitAsync(() => c.Get<V1PersistentVolumeClaim>("www-web-1")?.Status?.Phase == "Bound", "bound");
        var claim = c.Get<V1PersistentVolumeClaim>("www-web-1")!;
        var dir = c.Get<V1PersistentVolume>(claim.Spec.VolumeName, null)!.Spec.Local.Path;
        await File.WriteAllTextAsync(Path.Combine(dir, "data"), "kept", TestContext.Current.CancellationToken);

        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 1);
        await c.WaitReadyAsync("web", 1);
        await c.UpdateSetAsync("web", s => s.Spec.Replicas = 2);
        await c.WaitReadyAsync("web", 2);
        Assert.Equal(claim.Metadata.Uid, c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.Uid);
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(dir, "data"), TestContext.Current.CancellationToken));
    }
}
