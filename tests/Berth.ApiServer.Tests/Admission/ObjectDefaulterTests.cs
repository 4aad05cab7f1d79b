using Berth.ApiServer.Admission;
using k8s.Models;

namespace Berth.ApiServer.Tests.Admission;

public sealed class ObjectDefaulterTests
{
    [Fact]
    public void Statefulset_gets_upstream_defaults()
    {
        var set = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet.Replace("\"replicas\":3,", "", StringComparison.Ordinal));
        var spec = set.Spec;

        Assert.Equal(1, spec.Replicas);
        Assert.Equal("OrderedReady", spec.PodManagementPolicy);
        Assert.Equal("RollingUpdate", spec.UpdateStrategy.Type);
        Assert.Equal(0, spec.UpdateStrategy.RollingUpdate!.Partition);
        Assert.Null(spec.UpdateStrategy.RollingUpdate.MaxUnavailable);
        Assert.Equal(10, spec.RevisionHistoryLimit);
        Assert.Equal("Retain", spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted);
        Assert.Equal("Retain", spec.PersistentVolumeClaimRetentionPolicy.WhenScaled);
        Assert.Equal("Filesystem", spec.VolumeClaimTemplates[0].Spec.VolumeMode);
        Assert.Equal("Pending", spec.VolumeClaimTemplates[0].Status!.Phase);

        var pod = spec.Template.Spec;
        Assert.Equal("Always", pod.RestartPolicy);
        Assert.Equal("ClusterFirst", pod.DnsPolicy);
        Assert.Equal("default-scheduler", pod.SchedulerName);
        Assert.Equal(30, pod.TerminationGracePeriodSeconds);
        Assert.NotNull(pod.SecurityContext);
        Assert.Null(pod.EnableServiceLinks); // pods only, not templates
        var container = pod.Containers[0];
        Assert.Equal("IfNotPresent", container.ImagePullPolicy);
        Assert.Equal("/dev/termination-log", container.TerminationMessagePath);
        Assert.Equal("File", container.TerminationMessagePolicy);
        Assert.Equal("TCP", container.Ports[0].Protocol);
    }

    [Fact]
    public void Explicit_rolling_update_type_keeps_a_nil_rolling_update()
    {
        var set = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet.Replace("\"replicas\":3,", "\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\"},", StringComparison.Ordinal));

        Assert.Null(set.Spec.UpdateStrategy.RollingUpdate);
    }

    [Theory]
    [InlineData("nginx", "Always")]
    [InlineData("nginx:latest", "Always")]
    [InlineData("nginx:1.27", "IfNotPresent")]
    [InlineData("localhost:5000/nginx", "Always")]
    [InlineData("localhost:5000/nginx:1.2", "IfNotPresent")]
    [InlineData("nginx@sha256:abc", "IfNotPresent")]
    [InlineData("nginx:latest@sha256:abc", "Always")]
    public void Image_pull_policy_follows_the_tag(string image, string policy)
    {
        var pod = new V1Pod { Spec = new V1PodSpec { Containers = [new V1Container { Name = "a", Image = image }] } };

        ObjectDefaulter.Default(pod);

        Assert.Equal(policy, pod.Spec.Containers[0].ImagePullPolicy);
    }

    [Fact]
    public void Pod_defaults_and_create_admission_match_a_real_cluster()
    {
        var pod = Manifests.Decode<V1Pod>(Manifests.Pod.Replace("\"resources\":{}", "\"resources\":{\"limits\":{\"memory\":\"64Mi\"}},\"readinessProbe\":{\"httpGet\":{\"port\":80}}", StringComparison.Ordinal));
        ObjectDefaulter.AdmitCreate(pod);

        Assert.True(pod.Spec.EnableServiceLinks);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal("64Mi", pod.Spec.Containers[0].Resources.Requests["memory"].ToString());
        var probe = pod.Spec.Containers[0].ReadinessProbe;
        Assert.Equal((1, 10, 1, 3), (probe.TimeoutSeconds, probe.PeriodSeconds, probe.SuccessThreshold, probe.FailureThreshold));
        Assert.Equal(("/", "HTTP"), (probe.HttpGet.Path, probe.HttpGet.Scheme));
        Assert.Equal("default", pod.Spec.ServiceAccountName);
        Assert.Equal("default", pod.Spec.ServiceAccount);
        Assert.Equal(0, pod.Spec.Priority);
        Assert.Equal(2, pod.Spec.Tolerations.Count(t => t.TolerationSeconds == 300 && t.Effect == "NoExecute"));
        Assert.Empty(ObjectValidator.ValidateCreate(pod));
    }

    [Fact]
    public void Service_defaults_target_port_protocol_and_families()
    {
        var service = Manifests.Decode<V1Service>(Manifests.Service);

        Assert.Equal("ClusterIP", service.Spec.Type);
        Assert.Equal("None", service.Spec.SessionAffinity);
        Assert.Equal("TCP", service.Spec.Ports[0].Protocol);
        Assert.Equal("80", service.Spec.Ports[0].TargetPort.Value);
        Assert.Equal(["IPv4"], service.Spec.IpFamilies);
        Assert.Equal("SingleStack", service.Spec.IpFamilyPolicy);
        Assert.Equal(["None"], service.Spec.ClusterIPs);
        Assert.Equal("Cluster", service.Spec.InternalTrafficPolicy);
    }

    [Fact]
    public void Volume_claim_secret_and_namespace_defaults()
    {
        var claim = Manifests.Decode<V1PersistentVolumeClaim>(Manifests.Claim);
        Assert.Equal("Filesystem", claim.Spec.VolumeMode);

        var volume = new V1PersistentVolume { Spec = new V1PersistentVolumeSpec { HostPath = new V1HostPathVolumeSource { Path = "/x" } } };
        ObjectDefaulter.Default(volume);
        Assert.Equal(("Retain", "Filesystem", "Pending"), (volume.Spec.PersistentVolumeReclaimPolicy, volume.Spec.VolumeMode, volume.Status!.Phase));

        var secret = new V1Secret();
        ObjectDefaulter.Default(secret);
        Assert.Equal("Opaque", secret.Type);

        var ns = new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } };
        ObjectDefaulter.Default(ns);
        ObjectDefaulter.AdmitCreate(ns);
        Assert.Equal("team-a", ns.Metadata.Labels["kubernetes.io/metadata.name"]);
        Assert.Equal(["kubernetes"], ns.Spec!.Finalizers);
        Assert.Equal("Active", ns.Status!.Phase);
    }

    [Fact]
    public void Volume_without_a_source_becomes_an_empty_dir()
    {
        var pod = new V1Pod { Spec = new V1PodSpec { Containers = [new V1Container { Name = "a", Image = "x" }], Volumes = [new V1Volume { Name = "scratch" }] } };

        ObjectDefaulter.Default(pod);

        Assert.NotNull(pod.Spec.Volumes[0].EmptyDir);
    }

    [Fact]
    public void Defaulting_twice_changes_nothing()
    {
        var once = Manifests.Decode<V1StatefulSet>(Manifests.StatefulSet);
        var twice = SemanticEquality.Clone(once);
        ObjectDefaulter.Default(twice);

        Assert.True(SemanticEquality.AreEqual(once, twice));
    }
}
