using Berth.Cli.Up;
using k8s.Models;

namespace Berth.Cli.Tests;

public sealed class RolloutReportTests
{
    private const string SetUid = "uid-web";

    private static V1StatefulSet Set(int replicas = 3, int? ready = null, string? updateRevision = "web-1", string? currentRevision = "web-1",
        int? partition = null, string strategy = "RollingUpdate", int statusReplicas = -1) => new()
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = SetUid, Generation = 1 },
            Spec = new V1StatefulSetSpec
            {
                Replicas = replicas,
                UpdateStrategy = new V1StatefulSetUpdateStrategy
                {
                    Type = strategy,
                    RollingUpdate = partition is null ? null : new V1RollingUpdateStatefulSetStrategy { Partition = partition },
                },
            },
            Status = new V1StatefulSetStatus
            {
                ObservedGeneration = 1,
                Replicas = statusReplicas >= 0 ? statusReplicas : replicas,
                ReadyReplicas = ready ?? replicas,
                UpdatedReplicas = ready ?? replicas,
                UpdateRevision = updateRevision,
                CurrentRevision = currentRevision,
            },
        };

    private static V1Pod Pod(int ordinal, string phase = "Running", bool ready = true, string? claim = null, bool deleting = false,
        string? ownerUid = SetUid, string uid = "") => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = "web-" + ordinal,
                NamespaceProperty = "default",
                Uid = uid.Length > 0 ? uid : "pod-" + ordinal,
                DeletionTimestamp = deleting ? DateTime.UtcNow : null,
                OwnerReferences = ownerUid is null ? null : [new V1OwnerReference { Uid = ownerUid, Controller = true, Kind = "StatefulSet", Name = "web", ApiVersion = "apps/v1" }],
            },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "nginx", Image = "nginx" }],
                Volumes = claim is null ? null : [new V1Volume { Name = "www", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
            },
            Status = new V1PodStatus
            {
                Phase = phase,
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            },
        };

    private static Corev1Event Event(string kind, string name, string type, string reason, string message, int secondsAgo = 0, string? uid = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name + "." + reason, NamespaceProperty = "default" },
        InvolvedObject = new V1ObjectReference { Kind = kind, Name = name, NamespaceProperty = "default", Uid = uid },
        Type = type,
        Reason = reason,
        Message = message,
        LastTimestamp = DateTime.UtcNow.AddSeconds(-secondsAgo),
    };

    private static StatefulSetProgress Describe(V1StatefulSet? set, IEnumerable<V1Pod> pods, IEnumerable<V1PersistentVolumeClaim>? claims = null,
        IEnumerable<Corev1Event>? events = null)
    {
        var byName = (claims ?? []).ToDictionary(c => c.Metadata.Name);
        return RolloutReport.Describe("default", "web", set, pods, n => byName.GetValueOrDefault(n), new EventIndex(events ?? []));
    }

    [Fact]
    public void Pods_are_listed_in_ordinal_order_with_missing_ordinals_shown_as_not_created()
    {
        var progress = Describe(Set(ready: 1), [Pod(1, "Pending", ready: false), Pod(0)]);

        Assert.Equal(["web-0 Ready", "web-1 Pending", "web-2 -"], progress.Pods.Select(p => p.Name + " " + p.State));
        Assert.Equal("web 1/3 ready: web-0 Ready, web-1 Pending, web-2 - (waiting for 2 pods to be ready)", progress.PlainLine);
        Assert.False(progress.RolledOut);
    }

    [Fact]
    public void A_statefulset_is_rolled_out_only_when_its_status_and_every_pod_agree()
    {
        var statusAhead = Describe(Set(), [Pod(0), Pod(1), Pod(2, ready: false)]);
        var podsAhead = Describe(Set(ready: 2), [Pod(0), Pod(1), Pod(2)]);
        var both = Describe(Set(), [Pod(0), Pod(1), Pod(2)]);

        Assert.False(statusAhead.RolledOut);
        Assert.Equal("waiting for 1 pods to be ready", statusAhead.Status);
        Assert.False(podsAhead.RolledOut);
        Assert.Equal("waiting for the StatefulSet status to catch up", podsAhead.Status);
        Assert.True(both.RolledOut);
        Assert.EndsWith("(rolled out)", both.PlainLine, StringComparison.Ordinal);
    }

    [Fact]
    public void Condemned_pods_keep_a_scale_down_waiting_and_show_as_terminating()
    {
        var progress = Describe(Set(replicas: 1, statusReplicas: 2), [Pod(0), Pod(1, deleting: true)]);

        Assert.False(progress.RolledOut);
        Assert.Equal(["web-0 Ready", "web-1 Terminating"], progress.Pods.Select(p => p.Name + " " + p.State));
        Assert.Equal("waiting for 1 pods to terminate", progress.Status);
    }

    [Fact]
    public void A_pending_claim_names_the_provisioners_warning()
    {
        var claim = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "www-web-0", NamespaceProperty = "default", Uid = "c0" },
            Status = new V1PersistentVolumeClaimStatus { Phase = "Pending" },
        };
        var events = new[]
        {
            Event("PersistentVolumeClaim", "www-web-0", "Warning", "ProvisioningFailed", "storageclass.storage.k8s.io \"fast-ssd\" not found", 5, "c0"),
            Event("PersistentVolumeClaim", "www-web-0", "Normal", "ExternalProvisioning", "waiting for a volume", 1, "c0"),
        };

        var progress = Describe(Set(ready: 0), [Pod(0, "Pending", ready: false, claim: "www-web-0")], [claim], events);

        Assert.Equal(["PVC www-web-0 Pending: storageclass.storage.k8s.io \"fast-ssd\" not found"], progress.Waiting);
    }

    [Fact]
    public void A_claim_pending_without_a_warning_is_progress_at_first_and_a_reason_after_a_while()
    {
        var created = DateTime.UtcNow;
        var claim = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "www-web-0", NamespaceProperty = "default", Uid = "c0", CreationTimestamp = created },
            Status = new V1PersistentVolumeClaimStatus { Phase = "Pending" },
        };
        var events = new EventIndex([Event("PersistentVolumeClaim", "www-web-0", "Normal", "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding", uid: "c0")]);
        var pods = new[] { Pod(0, "Pending", ready: false, claim: "www-web-0") };

        var early = RolloutReport.Describe("default", "web", Set(ready: 0), pods, _ => claim, events, created.AddSeconds(1));
        var late = RolloutReport.Describe("default", "web", Set(ready: 0), pods, _ => claim, events, created.AddSeconds(30));

        Assert.Empty(early.Waiting);
        Assert.Equal(["PVC www-web-0 Pending: waiting for first consumer to be created before binding"], late.Waiting);
    }

    [Fact]
    public void A_running_pod_that_is_not_ready_names_its_readiness_probe_failure()
    {
        var events = new[]
        {
            Event("Pod", "web-1", "Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404", uid: "pod-1"),
            Event("Pod", "web-1", "Warning", "Unhealthy", "Readiness probe failed: from an earlier pod", uid: "old-uid"),
        };

        var progress = Describe(Set(ready: 1), [Pod(0), Pod(1, ready: false)], events: events);

        Assert.Equal(["web-1 not Ready: readiness probe failed: HTTP probe failed with statuscode: 404"], progress.Waiting);
        Assert.Equal("Running", progress.Pods[1].State);
    }

    [Fact]
    public void Init_containers_and_container_errors_are_states_and_reasons()
    {
        var pod = Pod(0, "Pending", ready: false);
        pod.Spec.InitContainers = [new V1Container { Name = "config", Image = "redis" }];
        pod.Status.InitContainerStatuses = [new V1ContainerStatus
        {
            Name = "config",
            State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error" } },
        }];
        var crashing = Pod(0, "Running", ready: false);
        crashing.Status.ContainerStatuses = [new V1ContainerStatus
        {
            Name = "nginx",
            State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = "image \"x\" is not in Berth's image catalog" } },
        }];

        var init = Describe(Set(ready: 0), [pod]);
        var pull = Describe(Set(ready: 0), [crashing]);

        Assert.Equal("Init:0/1", init.Pods[0].State);
        Assert.True(init.Pods[0].Problem);
        Assert.Equal(["web-0 init container config failed: exit code 1 (Error)"], init.Waiting);
        Assert.True(pull.Pods[0].Problem);
        Assert.Equal(["web-0 ErrImagePull: image \"x\" is not in Berth's image catalog"], pull.Waiting);
    }

    [Fact]
    public void Pods_of_another_controller_with_a_matching_name_are_not_counted()
    {
        var progress = Describe(Set(replicas: 1, ready: 0), [Pod(0, ownerUid: "someone-else")]);

        Assert.Equal("-", progress.Pods[0].State);
    }

    [Fact]
    public void A_statefulset_warning_shows_until_something_normal_happens_after_it()
    {
        var failed = Event("StatefulSet", "web", "Warning", "FailedCreate", "create Pod web-0 in StatefulSet web failed error: quota", 5, SetUid);
        var created = Event("StatefulSet", "web", "Normal", "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful", 1, SetUid);

        var waiting = Describe(Set(ready: 0), [], events: [failed]);
        var recovered = Describe(Set(ready: 0), [], events: [failed, created]);

        Assert.Equal("web FailedCreate: create Pod web-0 in StatefulSet web failed error: quota", waiting.Waiting[0]);
        Assert.Empty(recovered.Waiting);
    }

    [Theory]
    [InlineData(3, 3, 0, "web-2", "web-1", false)]
    [InlineData(3, 3, 2, "web-2", "web-1", true)]
    [InlineData(3, 0, 2, "web-2", "web-1", false)]
    [InlineData(3, 3, 0, "web-1", "web-1", true)]
    public void Rollout_status_follows_kubectl_for_partitions_and_revisions(int replicas, int updated, int partition, string update, string current, bool done)
    {
        var set = Set(replicas: replicas, updateRevision: update, currentRevision: current, partition: partition);
        set.Status.UpdatedReplicas = updated;

        Assert.Equal(done, RolloutReport.RolloutStatus(set).Done);
    }

    [Fact]
    public void OnDelete_is_rolled_out_once_every_replica_is_ready_whatever_the_revisions()
    {
        var set = Set(updateRevision: "web-2", currentRevision: "web-1", strategy: "OnDelete");

        Assert.True(RolloutReport.RolloutStatus(set).Done);
    }

    [Fact]
    public void A_missing_statefulset_says_so()
    {
        var progress = Describe(null, []);

        Assert.False(progress.RolledOut);
        Assert.Equal(["statefulset web not found in namespace default"], progress.Waiting);
    }
}
