using k8s.Models;

namespace Berth.Controllers.Runtime;

internal static class MetaExtensions
{
    public static string? Label(this V1ObjectMeta meta, string key) =>
        meta.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;

    public static string? Annotation(this V1ObjectMeta meta, string key) =>
        meta.Annotations is { } annotations && annotations.TryGetValue(key, out var v) ? v : null;

    public static V1OwnerReference? ControllerRef(this V1ObjectMeta meta) =>
        meta.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    /// <summary>
    /// upstream metav1.NewControllerRef: a reference to <paramref name="owner"/> as the managing controller, blocking
    /// the owner's foreground deletion until the dependent is gone.
    /// </summary>
    public static V1OwnerReference NewControllerRef(this V1ObjectMeta owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Name,
        Uid = owner.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    public static bool HasFinalizer(this V1ObjectMeta meta, string finalizer) => meta.Finalizers?.Contains(finalizer) == true;
}
