using Berth.Controllers.Tests.Fakes;
using k8s.Models;

namespace Berth.Controllers.Tests.StatefulSets;

/// <summary>Runs on the fake API; BasicOnServerTests (Scenarios/) runs the same tests on a real in-process server.</summary>
public class BasicTests
{
    protected virtual Task<TestCluster> StartAsync() => TestCluster.StartAsync();

    [Fact]
    public async Task Should_provide_basic_identity()
    {
        await using var c = await StartAsync();
        await c.CreateAsync(TestSets.Web(replicas: 3));
        await c.WaitReadyAsync("web", 3);

        Assert.Equal(["web-0", "web-1", "web-2"], c.PodNames("web"));
        foreach (var (pod, i) in c.Pods("web").Select((p, i) => (p, i)))
        {
            Assert.Equal(pod.Metadata.Name, pod.Spec.Hostname);
            Assert.Equal("web", pod.Spec.Subdomain);
            Assert.Equal(pod.Metadata.Name, pod.Metadata.Labels["statefulset.kubernetes.io/pod-name"]);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), pod.Metadata.Labels["apps.kubernetes.io/pod-index"]);
            Assert.Equal(c.Set().Status.UpdateRevision, pod.Metadata.Labels["controller-revision-hash"]);
            Assert.Equal("berth", pod.Spec.NodeName);
            Assert.Equal($"www-web-{i}", pod.Spec.Volumes.Single(v => v.Name == "www").PersistentVolumeClaim.ClaimName);
            var owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(("StatefulSet", "web", true, true), (owner.Kind, owner.Name, owner.Controller, owner.BlockOwnerDeletion));
        }

        await c.WaitAsync(() => c.Claims().All(pvc => pvc.Status?.Phase == "Bound"), "claims bound");
        var claims = c.Claims();
        Assert.Equal(["www-web-0", "www-web-1", "www-web-2"], claims.Select(p => p.Metadata.Name));
        Assert.All(claims, pvc => Assert.Equal("web", pvc.Metadata.Labels["app"]));

        // Write "data" into web-1's volume, delete every pod, and check it comes back with the same claim and data.
        var volume = c.Get<V1PersistentVolume>(claims[1].Spec.VolumeName, null)!;
        Assert.True(Directory.Exists(volume.Spec.Local.Path));
        await File.WriteAllTextAsync(Path.Combine(volume.Spec.Local.Path, "index.html"), "web-1", TestContext.Current.CancellationToken);
        var oldUids = c.Pods("web").Select(p => p.Metadata.Uid).ToHashSet();
        foreach (var name in c.PodNames("web"))
        {
            await c.DeletePodAsync(name);
        }

        await c.WaitAsync(() => c.AllReady("web", 3) && c.Pods("web").All(p => !oldUids.Contains(p.Metadata.Uid)), "pods recreated");
        var recreated = c.Get<V1Pod>("web-1")!;
        Assert.Equal("web-1", recreated.Spec.Hostname);
        Assert.Equal("www-web-1", recreated.Spec.Volumes.Single(v => v.Name == "www").PersistentVolumeClaim.ClaimName);
        Assert.Equal(claims[1].Metadata.Uid, c.Get<V1PersistentVolumeClaim>("www-web-1")!.Metadata.Uid);
        Assert.Equal("web-1", await File.ReadAllTextAsync(Path.Combine(volume.Spec.Local.Path, "index.html"), TestContext.Current.CancellationToken));
    }
}
