using System.Globalization;
using k8s.Models;

namespace Berth.Controllers.Endpoints;

/// <summary>
/// The pod predicates both endpoint controllers share (upstream pkg/controller/util/endpoint and podutil): which
/// pods a Service selects, which of them belong in its endpoints, their readiness, hostname and resolved ports.
/// </summary>
internal static class EndpointPods
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ControllerName = "endpointslice-controller.k8s.io";
    public const string HeadlessLabel = "service.kubernetes.io/headless";

    /// <summary>
    /// Services the endpoint controllers manage: a selector (a Service without one has user-managed endpoints) and
    /// not ExternalName.
    /// </summary>
    public static bool IsManaged(V1Service service) =>
        service.Spec?.Selector is { Count: > 0 } && service.Spec.Type != "ExternalName";

    public static bool Selects(V1Service service, V1Pod pod)
    {
        if (service.Spec?.Selector is not { Count: > 0 } selector || pod.Metadata.NamespaceProperty != service.Metadata.NamespaceProperty)
        {
            return false;
        }

        var labels = pod.Metadata.Labels;
        foreach (var (k, v) in selector)
        {
            if (labels is null || !labels.TryGetValue(k, out var actual) || actual != v)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// upstream getPodServiceMemberships: the Services of the pod's namespace that select it now, or selected it
    /// before a label change (<paramref name="old"/>), whose endpoints must be synced.
    /// </summary>
    public static IEnumerable<V1Service> ServicesSelecting(IEnumerable<V1Service> services, V1Pod pod, V1Pod? old) =>
        services.Where(s => Selects(s, pod) || (old is not null && Selects(s, old)));

    /// <summary>upstream ShouldPodBeInEndpoints: an address, not finished, and not terminating unless asked for.</summary>
    public static bool ShouldBeInEndpoints(V1Pod pod, bool includeTerminating) =>
        pod.Status?.Phase is not ("Succeeded" or "Failed")
        && !string.IsNullOrEmpty(pod.Status?.PodIP)
        && (includeTerminating || pod.Metadata.DeletionTimestamp is null);

    /// <summary>upstream podutil.IsPodReady: the Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>upstream ShouldSetHostname: the pod's spec.hostname when its subdomain is this Service.</summary>
    public static string? Hostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == service.Metadata.Name
            && pod.Metadata.NamespaceProperty == service.Metadata.NamespaceProperty
            ? pod.Spec.Hostname
            : null;

    /// <summary>
    /// upstream podutil.FindPort: a numeric targetPort as is; a named one is the container port of that name and the
    /// Service port's protocol in this pod (so one Service can reach different numbers in different pods). Null when
    /// the pod has no such port.
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return servicePort.Port;
        }

        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number == 0 ? servicePort.Port : number;
        }

        var protocol = servicePort.Protocol ?? "TCP";
        foreach (var container in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []))
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.Name == target && (port.Protocol ?? "TCP") == protocol)
                {
                    return port.ContainerPort;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The labels of the Service's endpoints objects: the Service's own labels plus <c>service.kubernetes.io/headless</c>
    /// for a headless Service (upstream endpoints and EndpointSlice controllers).
    /// </summary>
    public static Dictionary<string, string> Labels(V1Service service)
    {
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (service.Spec?.ClusterIP == "None")
        {
            labels[HeadlessLabel] = "";
        }
        else
        {
            labels.Remove(HeadlessLabel);
        }

        return labels;
    }

    public static V1ObjectReference PodReference(V1Pod pod) => new()
    {
        Kind = "Pod",
        NamespaceProperty = pod.Metadata.NamespaceProperty,
        Name = pod.Metadata.Name,
        Uid = pod.Metadata.Uid,
    };

    public static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
