using System.Globalization;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Pods;

/// <summary>
/// Builds a container's environment the way kubelet's makeEnvironmentVariables does: envFrom first (with its
/// prefix), then env in order, each value expanded against what came before; valueFrom fieldRef,
/// resourceFieldRef, secretKeyRef and configMapKeyRef resolved, a missing non-optional source being a
/// CreateContainerConfigError.
/// </summary>
internal static class EnvironmentBuilder
{
    public static List<KeyValuePair<string, string>> Build(V1Pod pod, V1Container container, string? podIP, IEnvSourceResolver? sources)
    {
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();

        void Set(string k, string v)
        {
            if (!values.ContainsKey(k))
            {
                order.Add(k);
            }

            values[k] = v;
        }

        foreach (var from in container.EnvFrom ?? [])
        {
            var (kind, name, optional) = from.SecretRef is { } s ? ("Secret", s.Name, s.Optional == true)
                : from.ConfigMapRef is { } c ? ("ConfigMap", c.Name, c.Optional == true)
                : ("", "", true);
            if (kind.Length == 0)
            {
                continue;
            }

            var all = sources?.ResolveAll(ns, kind, name);
            if (all is null)
            {
                if (optional)
                {
                    continue;
                }

                throw Config($"{(kind == "Secret" ? "secret" : "configmap")} \"{name}\" not found");
            }

            foreach (var (k, v) in all.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                Set((from.Prefix ?? "") + k, v);
            }
        }

        foreach (var env in container.Env ?? [])
        {
            string? value;
            if (env.ValueFrom is null)
            {
                value = VariableExpansion.Expand(env.Value ?? "", k => values.GetValueOrDefault(k));
            }
            else
            {
                value = ValueFrom(pod, container, env, podIP, sources, ns);
                if (value is null)
                {
                    continue;
                }
            }

            Set(env.Name, value);
        }

        return [.. order.Select(k => new KeyValuePair<string, string>(k, values[k]))];
    }

    private static string? ValueFrom(V1Pod pod, V1Container container, V1EnvVar env, string? podIP, IEnvSourceResolver? sources, string ns)
    {
        var from = env.ValueFrom;
        if (from.FieldRef is { } field)
        {
            return FieldPath(pod, field.FieldPath, podIP) ?? throw Config(
                $"unsupported fieldRef \"{field.FieldPath}\" in env \"{env.Name}\" of container \"{container.Name}\"");
        }

        if (from.ResourceFieldRef is { } resource)
        {
            return ResourceField(pod, container, resource);
        }

        if (from.SecretKeyRef is { } secret)
        {
            var v = sources?.ResolveSecretKey(ns, secret.Name, secret.Key);
            if (v is null && secret.Optional != true)
            {
                // kubelet: "couldn't find key %v in Secret %v/%v" (or secret "x" not found).
                throw Config($"couldn't find key {secret.Key} in Secret {ns}/{secret.Name}");
            }

            return v;
        }

        if (from.ConfigMapKeyRef is { } cm)
        {
            var v = sources?.ResolveConfigMapKey(ns, cm.Name, cm.Key);
            if (v is null && cm.Optional != true)
            {
                throw Config($"couldn't find key {cm.Key} in ConfigMap {ns}/{cm.Name}");
            }

            return v;
        }

        return null;
    }

    /// <summary>The downward API field paths kubelet supports for env (pkg/kubelet/kubelet_pods.go podFieldSelectorRuntimeValue).</summary>
    internal static string? FieldPath(V1Pod pod, string path, string? podIP)
    {
        switch (path)
        {
            case "metadata.name": return pod.Metadata.Name;
            case "metadata.namespace": return pod.Metadata.NamespaceProperty ?? "default";
            case "metadata.uid": return pod.Metadata.Uid ?? "";
            case "spec.nodeName": return pod.Spec.NodeName ?? "";
            case "spec.serviceAccountName": return pod.Spec.ServiceAccountName ?? "";
            case "status.podIP": return podIP ?? "";
            case "status.podIPs": return podIP ?? "";
            case "status.hostIP": return pod.Status?.HostIP ?? "";
            case "status.hostIPs": return pod.Status?.HostIP ?? "";
            default: break;
        }

        foreach (var (prefix, map) in new[] { ("metadata.labels['", pod.Metadata.Labels), ("metadata.annotations['", pod.Metadata.Annotations) })
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
            {
                var key = path[prefix.Length..^2];
                return map is not null && map.TryGetValue(key, out var v) ? v : "";
            }
        }

        return null;
    }

    internal static string ResourceField(V1Pod pod, V1Container container, V1ResourceFieldSelector selector)
    {
        var target = string.IsNullOrEmpty(selector.ContainerName)
            ? container
            : pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(c => c.Name == selector.ContainerName) ?? container;
        var parts = selector.Resource.Split('.', 2);
        var dict = parts[0] == "limits" ? target.Resources?.Limits : target.Resources?.Requests;
        var divisor = selector.Divisor?.ToDecimal() ?? 1m;
        if (divisor == 0)
        {
            divisor = 1m;
        }

        if (dict is not null && parts.Length == 2 && dict.TryGetValue(parts[1], out var q))
        {
            // Rounded up, as kubelet's ExtractContainerResourceValue does.
            return ((long)Math.Ceiling(q.ToDecimal() / divisor)).ToString(CultureInfo.InvariantCulture);
        }

        // An unset limit reports the node's allocatable capacity in kubelet; here: the machine's.
        return parts.Length == 2 && parts[1] == "cpu"
            ? ((long)Math.Ceiling(Environment.ProcessorCount / divisor)).ToString(CultureInfo.InvariantCulture)
            : ((long)Math.Ceiling(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / divisor)).ToString(CultureInfo.InvariantCulture);
    }

    private static ContainerStartException Config(string message) => new(ContainerReasons.CreateContainerConfigError, message);
}
