namespace Berth.Controllers.StatefulSets;

/// <summary>Label and annotation keys of the StatefulSet contract (apps/v1 and pkg/controller/history).</summary>
internal static class StatefulSetLabels
{
    public const string PodName = "statefulset.kubernetes.io/pod-name";
    public const string PodIndex = "apps.kubernetes.io/pod-index";
    public const string ControllerRevisionHash = "controller-revision-hash";
    public const string RevisionHash = "controller.kubernetes.io/hash";
    public const string ChangeCause = "kubernetes.io/change-cause";
    public const string RestartedAt = "kubectl.kubernetes.io/restartedAt";
}
