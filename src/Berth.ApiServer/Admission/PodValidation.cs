using System.Reflection;
using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// upstream pkg/apis/core/validation: ValidatePodSpec and the container, volume, port, env and probe checks under
/// it, ValidatePodCreate and ValidatePodUpdate. Checks for fields Berth does not act on (security contexts,
/// affinity, topology spread) are left out.
/// </summary>
internal static class PodValidation
{
    private static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];
    private static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    private static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] TerminationMessagePolicies = ["File", "FallbackToLogsOnError"];
    private static readonly string[] Schemes = ["HTTP", "HTTPS"];

    // Every property of V1Volume other than the name is a volume source; upstream counts the non-nil ones.
    private static readonly PropertyInfo[] VolumeSources = typeof(V1Volume).GetProperties()
        .Where(p => p.Name != nameof(V1Volume.Name)).ToArray();

    private const string UpdatableFields =
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`," +
        "`spec.tolerations` (only additions to existing tolerations)," +
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    public static List<FieldError> ValidatePodCreate(V1Pod pod)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMeta(pod.Metadata, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        ValidatePodSpec(pod.Spec, null, "spec", errors);
        var containers = pod.Spec?.Containers ?? [];
        for (var i = 0; i < containers.Count; i++)
        {
            var image = containers[i].Image ?? "";
            if (image.Length != image.Trim().Length)
            {
                errors.Add(FieldError.Invalid($"spec.containers[{i}].image", image, "must not have leading or trailing whitespace"));
            }
        }

        return errors;
    }

    public static List<FieldError> ValidatePodUpdate(V1Pod pod, V1Pod old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(pod.Metadata, old.Metadata, "metadata", errors);
        ValidatePodSpec(pod.Spec, null, "spec", errors);

        // upstream: copy the mutable fields from the old spec onto a clone of the new one; anything still different
        // was a forbidden change.
        var munged = SemanticEquality.Clone(pod.Spec ?? new V1PodSpec());
        var oldSpec = old.Spec ?? new V1PodSpec();
        CopyImages(munged.Containers, oldSpec.Containers);
        CopyImages(munged.InitContainers, oldSpec.InitContainers);
        munged.ActiveDeadlineSeconds = oldSpec.ActiveDeadlineSeconds;
        if (oldSpec.TerminationGracePeriodSeconds is < 0 && munged.TerminationGracePeriodSeconds == 1)
        {
            munged.TerminationGracePeriodSeconds = oldSpec.TerminationGracePeriodSeconds;
        }

        if (TolerationsOnlyAdded(oldSpec.Tolerations, munged.Tolerations))
        {
            munged.Tolerations = oldSpec.Tolerations;
        }

        if (!SemanticEquality.AreEqual(munged, oldSpec))
        {
            var diff = SemanticEquality.Diff(oldSpec, munged);
            errors.Add(FieldError.Forbidden("spec", "pod updates may not change fields other than " + UpdatableFields + "\n" + diff));
        }

        if (oldSpec.ActiveDeadlineSeconds is not null)
        {
            if (pod.Spec?.ActiveDeadlineSeconds is null)
            {
                errors.Add(FieldError.Invalid("spec.activeDeadlineSeconds", new GoValue.Literal("null"), "must not update from a positive integer to nil value"));
            }
            else if (pod.Spec.ActiveDeadlineSeconds > oldSpec.ActiveDeadlineSeconds)
            {
                errors.Add(FieldError.Invalid("spec.activeDeadlineSeconds", pod.Spec.ActiveDeadlineSeconds.Value,
                    "must be less than or equal to previous value"));
            }
        }

        return errors;
    }

    /// <summary>upstream ValidatePodTemplateSpec: template labels and annotations, then the pod spec.</summary>
    public static void ValidatePodTemplateSpec(V1PodTemplateSpec? template, IEnumerable<string>? extraVolumes, string path, List<FieldError> errors)
    {
        if (template is null)
        {
            return;
        }

        ObjectMetaValidation.ValidateLabels(template.Metadata?.Labels, path + ".labels", errors);
        ObjectMetaValidation.ValidateAnnotations(template.Metadata?.Annotations, path + ".annotations", errors);
        ValidatePodSpec(template.Spec, extraVolumes, path + ".spec", errors);
    }

    /// <summary>
    /// upstream ValidatePodSpec. <paramref name="extraVolumes"/> names volumes that exist without being listed (a
    /// StatefulSet's volumeClaimTemplates), so mounts of them validate.
    /// </summary>
    public static void ValidatePodSpec(V1PodSpec? spec, IEnumerable<string>? extraVolumes, string path, List<FieldError> errors)
    {
        spec ??= new V1PodSpec();
        var volumeNames = ValidateVolumes(spec.Volumes, path + ".volumes", errors);
        foreach (var extra in extraVolumes ?? [])
        {
            volumeNames.Add(extra);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var init = spec.InitContainers ?? [];
        for (var i = 0; i < init.Count; i++)
        {
            var itemPath = $"{path}.initContainers[{i}]";
            ValidateContainer(init[i], volumeNames, itemPath, errors);
            if (!string.IsNullOrEmpty(init[i].Name) && !names.Add(init[i].Name))
            {
                errors.Add(FieldError.Duplicate(itemPath + ".name", init[i].Name));
            }
        }

        var containers = spec.Containers ?? [];
        if (containers.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".containers"));
        }

        for (var i = 0; i < containers.Count; i++)
        {
            var itemPath = $"{path}.containers[{i}]";
            ValidateContainer(containers[i], volumeNames, itemPath, errors);
            ValidateProbe(containers[i].ReadinessProbe, itemPath + ".readinessProbe", errors);
            ValidateProbe(containers[i].LivenessProbe, itemPath + ".livenessProbe", errors);
            ValidateProbe(containers[i].StartupProbe, itemPath + ".startupProbe", errors);
            if (containers[i].LivenessProbe?.SuccessThreshold is { } ls and not 1)
            {
                errors.Add(FieldError.Invalid(itemPath + ".livenessProbe.successThreshold", ls, "must be 1"));
            }

            if (containers[i].StartupProbe?.SuccessThreshold is { } ss and not 1)
            {
                errors.Add(FieldError.Invalid(itemPath + ".startupProbe.successThreshold", ss, "must be 1"));
            }

            if (!string.IsNullOrEmpty(containers[i].Name) && !names.Add(containers[i].Name))
            {
                errors.Add(FieldError.Duplicate(itemPath + ".name", containers[i].Name));
            }
        }

        ValidateHostPorts(containers, path + ".containers", errors);

        switch (spec.RestartPolicy)
        {
            case null or "":
                errors.Add(FieldError.Required(path + ".restartPolicy"));
                break;
            case "Always" or "OnFailure" or "Never":
                break;
            default:
                errors.Add(FieldError.NotSupported(path + ".restartPolicy", spec.RestartPolicy, RestartPolicies));
                break;
        }

        switch (spec.DnsPolicy)
        {
            case null or "":
                errors.Add(FieldError.Required(path + ".dnsPolicy"));
                break;
            case "ClusterFirstWithHostNet" or "ClusterFirst" or "Default" or "None":
                break;
            default:
                errors.Add(FieldError.NotSupported(path + ".dnsPolicy", spec.DnsPolicy, DnsPolicies));
                break;
        }

        ObjectMetaValidation.ValidateLabels(spec.NodeSelector, path + ".nodeSelector", errors);
        if (!string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            foreach (var message in NameValidation.NameIsDNSSubdomain(spec.ServiceAccountName, false))
            {
                errors.Add(FieldError.Invalid(path + ".serviceAccountName", spec.ServiceAccountName, message));
            }
        }

        if (!string.IsNullOrEmpty(spec.NodeName))
        {
            foreach (var message in NameValidation.NameIsDNSSubdomain(spec.NodeName, false))
            {
                errors.Add(FieldError.Invalid(path + ".nodeName", spec.NodeName, message));
            }
        }

        if (spec.ActiveDeadlineSeconds is { } deadline && (deadline < 1 || deadline > int.MaxValue))
        {
            errors.Add(FieldError.Invalid(path + ".activeDeadlineSeconds", deadline, ValidationMessages.InclusiveRangeError(1, int.MaxValue)));
        }

        if (!string.IsNullOrEmpty(spec.Hostname))
        {
            CommonValidation.ValidateDNS1123Label(spec.Hostname, path + ".hostname", errors);
        }

        if (!string.IsNullOrEmpty(spec.Subdomain))
        {
            CommonValidation.ValidateDNS1123Label(spec.Subdomain, path + ".subdomain", errors);
        }
    }

    private static HashSet<string> ValidateVolumes(IList<V1Volume>? volumes, string path, List<FieldError> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (volumes is null)
        {
            return names;
        }

        for (var i = 0; i < volumes.Count; i++)
        {
            var volume = volumes[i];
            var itemPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(volume.Name))
            {
                errors.Add(FieldError.Required(itemPath + ".name"));
            }
            else
            {
                CommonValidation.ValidateDNS1123Label(volume.Name, itemPath + ".name", errors);
                if (!names.Add(volume.Name))
                {
                    errors.Add(FieldError.Duplicate(itemPath + ".name", volume.Name));
                }
            }

            var sources = VolumeSources.Where(p => p.GetValue(volume) is not null).ToList();
            if (sources.Count == 0)
            {
                errors.Add(FieldError.Required(itemPath, "must specify a volume type"));
            }
            else if (sources.Count > 1)
            {
                errors.Add(FieldError.Forbidden(itemPath + "." + JsonName(sources[1]), "may not specify more than 1 volume type"));
            }

            if (volume.PersistentVolumeClaim is { } claim && string.IsNullOrEmpty(claim.ClaimName))
            {
                errors.Add(FieldError.Required(itemPath + ".persistentVolumeClaim.claimName"));
            }

            if (volume.ConfigMap is { } configMap && string.IsNullOrEmpty(configMap.Name))
            {
                errors.Add(FieldError.Required(itemPath + ".configMap.name"));
            }

            if (volume.Secret is { } secret && string.IsNullOrEmpty(secret.SecretName))
            {
                errors.Add(FieldError.Required(itemPath + ".secret.secretName"));
            }

            if (volume.HostPath is { } hostPath && string.IsNullOrEmpty(hostPath.Path))
            {
                errors.Add(FieldError.Required(itemPath + ".hostPath.path"));
            }
        }

        return names;
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name ?? property.Name;

    private static void ValidateContainer(V1Container container, HashSet<string> volumes, string path, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(container.Name))
        {
            errors.Add(FieldError.Required(path + ".name"));
        }
        else
        {
            CommonValidation.ValidateDNS1123Label(container.Name, path + ".name", errors);
        }

        if (string.IsNullOrEmpty(container.Image))
        {
            errors.Add(FieldError.Required(path + ".image"));
        }

        switch (container.TerminationMessagePolicy)
        {
            case "File" or "FallbackToLogsOnError":
                break;
            case null or "":
                errors.Add(FieldError.Required(path + ".terminationMessagePolicy"));
                break;
            default:
                errors.Add(FieldError.NotSupported(path + ".terminationMessagePolicy", container.TerminationMessagePolicy, TerminationMessagePolicies));
                break;
        }

        ValidateContainerPorts(container.Ports, path + ".ports", errors);
        ValidateEnv(container.Env, path + ".env", errors);
        switch (container.ImagePullPolicy)
        {
            case "Always" or "IfNotPresent" or "Never":
                break;
            case null or "":
                errors.Add(FieldError.Required(path + ".imagePullPolicy"));
                break;
            default:
                errors.Add(FieldError.NotSupported(path + ".imagePullPolicy", container.ImagePullPolicy, PullPolicies));
                break;
        }

        ValidateVolumeMounts(container.VolumeMounts, volumes, path + ".volumeMounts", errors);
        ValidateResources(container.Resources, path + ".resources", errors);
    }

    private static void ValidateContainerPorts(IList<V1ContainerPort>? ports, string path, List<FieldError> errors)
    {
        if (ports is null)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var itemPath = $"{path}[{i}]";
            if (!string.IsNullOrEmpty(port.Name))
            {
                var messages = NameValidation.IsValidPortName(port.Name);
                foreach (var message in messages)
                {
                    errors.Add(FieldError.Invalid(itemPath + ".name", port.Name, message));
                }

                if (messages.Count == 0 && !names.Add(port.Name))
                {
                    errors.Add(FieldError.Duplicate(itemPath + ".name", port.Name));
                }
            }

            if (port.ContainerPort == 0)
            {
                errors.Add(FieldError.Required(itemPath + ".containerPort"));
            }
            else
            {
                foreach (var message in NameValidation.IsValidPortNum(port.ContainerPort))
                {
                    errors.Add(FieldError.Invalid(itemPath + ".containerPort", port.ContainerPort, message));
                }
            }

            if (port.HostPort is { } hostPort and not 0)
            {
                foreach (var message in NameValidation.IsValidPortNum(hostPort))
                {
                    errors.Add(FieldError.Invalid(itemPath + ".hostPort", hostPort, message));
                }
            }

            if (string.IsNullOrEmpty(port.Protocol))
            {
                errors.Add(FieldError.Required(itemPath + ".protocol"));
            }
            else if (!Protocols.Contains(port.Protocol))
            {
                errors.Add(FieldError.NotSupported(itemPath + ".protocol", port.Protocol, Protocols));
            }
        }
    }

    private static void ValidateHostPorts(IList<V1Container> containers, string path, List<FieldError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < containers.Count; c++)
        {
            var ports = containers[c].Ports ?? [];
            for (var p = 0; p < ports.Count; p++)
            {
                if (ports[p].HostPort is not { } hostPort || hostPort == 0)
                {
                    continue;
                }

                var key = $"{ports[p].Protocol}/{ports[p].HostIP}/{hostPort}";
                if (!seen.Add(key))
                {
                    errors.Add(FieldError.Duplicate($"{path}[{c}].ports[{p}].hostPort", key));
                }
            }
        }
    }

    private static void ValidateEnv(IList<V1EnvVar>? env, string path, List<FieldError> errors)
    {
        if (env is null)
        {
            return;
        }

        for (var i = 0; i < env.Count; i++)
        {
            var variable = env[i];
            var itemPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(variable.Name))
            {
                errors.Add(FieldError.Required(itemPath + ".name"));
            }
            else
            {
                foreach (var message in NameValidation.IsEnvVarName(variable.Name))
                {
                    errors.Add(FieldError.Invalid(itemPath + ".name", variable.Name, message));
                }
            }

            if (variable.ValueFrom is { } from)
            {
                var count = (from.FieldRef is null ? 0 : 1) + (from.ResourceFieldRef is null ? 0 : 1)
                    + (from.ConfigMapKeyRef is null ? 0 : 1) + (from.SecretKeyRef is null ? 0 : 1) + (from.FileKeyRef is null ? 0 : 1);
                if (count == 0)
                {
                    errors.Add(FieldError.Invalid(itemPath + ".valueFrom", "",
                        "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
                }
                else if (count > 1)
                {
                    errors.Add(FieldError.Invalid(itemPath + ".valueFrom", "",
                        "may not have more than one field specified at a time"));
                }

                if (!string.IsNullOrEmpty(variable.Value))
                {
                    errors.Add(FieldError.Invalid(itemPath + ".valueFrom", "", "may not be specified when `value` is not empty"));
                }

                if (from.ConfigMapKeyRef is { } cm && string.IsNullOrEmpty(cm.Key))
                {
                    errors.Add(FieldError.Required(itemPath + ".valueFrom.configMapKeyRef.key"));
                }

                if (from.SecretKeyRef is { } sk && string.IsNullOrEmpty(sk.Key))
                {
                    errors.Add(FieldError.Required(itemPath + ".valueFrom.secretKeyRef.key"));
                }

                if (from.FieldRef is { } fr && string.IsNullOrEmpty(fr.FieldPath))
                {
                    errors.Add(FieldError.Required(itemPath + ".valueFrom.fieldRef.fieldPath"));
                }
            }
        }
    }

    private static void ValidateVolumeMounts(IList<V1VolumeMount>? mounts, HashSet<string> volumes, string path, List<FieldError> errors)
    {
        if (mounts is null)
        {
            return;
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            var itemPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(mount.Name))
            {
                errors.Add(FieldError.Required(itemPath + ".name"));
            }
            else if (!volumes.Contains(mount.Name))
            {
                errors.Add(FieldError.NotFound(itemPath + ".name", mount.Name));
            }

            if (string.IsNullOrEmpty(mount.MountPath))
            {
                errors.Add(FieldError.Required(itemPath + ".mountPath"));
            }
            else if (!paths.Add(mount.MountPath))
            {
                errors.Add(FieldError.Invalid(itemPath + ".mountPath", mount.MountPath, "must be unique"));
            }

            if (!string.IsNullOrEmpty(mount.SubPath))
            {
                ValidateLocalDescendingPath(mount.SubPath, itemPath + ".subPath", errors);
            }
        }
    }

    /// <summary>upstream validateLocalDescendingPath: relative, and no ".." element.</summary>
    private static void ValidateLocalDescendingPath(string value, string path, List<FieldError> errors)
    {
        if (value.StartsWith('/'))
        {
            errors.Add(FieldError.Invalid(path, value, "must be a relative path"));
        }

        if (value.Split('/', '\\').Contains(".."))
        {
            errors.Add(FieldError.Invalid(path, value, "must not contain '..'"));
        }
    }

    private static void ValidateResources(V1ResourceRequirements? resources, string path, List<FieldError> errors)
    {
        if (resources is null)
        {
            return;
        }

        foreach (var (name, quantity) in (resources.Limits ?? new Dictionary<string, ResourceQuantity>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateQuantity(quantity, $"{path}.limits[{name}]", errors);
        }

        foreach (var (name, quantity) in (resources.Requests ?? new Dictionary<string, ResourceQuantity>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var itemPath = $"{path}.requests[{name}]";
            ValidateQuantity(quantity, itemPath, errors);
            if (resources.Limits is not null && resources.Limits.TryGetValue(name, out var limit) && quantity is not null && limit is not null
                && QuantityMath.Compare(quantity, limit) > 0)
            {
                errors.Add(FieldError.Invalid(itemPath, quantity.ToString(), $"must be less than or equal to {name} limit of {limit}"));
            }
        }
    }

    public static void ValidateQuantity(ResourceQuantity? quantity, string path, List<FieldError> errors)
    {
        if (quantity is not null && QuantityMath.Sign(quantity) < 0)
        {
            errors.Add(FieldError.Invalid(path, quantity.ToString(), CommonValidation.IsNegativeErrorMsg));
        }
    }

    private static void ValidateProbe(V1Probe? probe, string path, List<FieldError> errors)
    {
        if (probe is null)
        {
            return;
        }

        var handlers = new List<string>();
        if (probe.Exec is not null)
        {
            handlers.Add("exec");
        }

        if (probe.HttpGet is not null)
        {
            handlers.Add("httpGet");
        }

        if (probe.TcpSocket is not null)
        {
            handlers.Add("tcpSocket");
        }

        if (probe.Grpc is not null)
        {
            handlers.Add("grpc");
        }

        if (handlers.Count == 0)
        {
            errors.Add(FieldError.Required(path, "must specify a handler type"));
        }
        else if (handlers.Count > 1)
        {
            errors.Add(FieldError.Forbidden(path + "." + handlers[1], "may not specify more than 1 handler type"));
        }

        if (probe.Exec is { } exec && (exec.Command is null || exec.Command.Count == 0))
        {
            errors.Add(FieldError.Required(path + ".exec.command"));
        }

        if (probe.HttpGet is { } http)
        {
            if (string.IsNullOrEmpty(http.Path))
            {
                errors.Add(FieldError.Required(path + ".httpGet.path"));
            }

            ValidatePortNumOrName(http.Port, path + ".httpGet.port", errors);
            if (http.Scheme is not null && !Schemes.Contains(http.Scheme))
            {
                errors.Add(FieldError.NotSupported(path + ".httpGet.scheme", http.Scheme, Schemes));
            }
        }

        if (probe.TcpSocket is { } tcp)
        {
            ValidatePortNumOrName(tcp.Port, path + ".tcpSocket.port", errors);
        }

        if (probe.Grpc is { } grpc)
        {
            foreach (var message in NameValidation.IsValidPortNum(grpc.Port))
            {
                errors.Add(FieldError.Invalid(path + ".grpc.port", grpc.Port, message));
            }
        }

        CommonValidation.ValidateNonnegative(probe.InitialDelaySeconds ?? 0, path + ".initialDelaySeconds", errors);
        CommonValidation.ValidateNonnegative(probe.TimeoutSeconds ?? 0, path + ".timeoutSeconds", errors);
        CommonValidation.ValidateNonnegative(probe.PeriodSeconds ?? 0, path + ".periodSeconds", errors);
        CommonValidation.ValidateNonnegative(probe.SuccessThreshold ?? 0, path + ".successThreshold", errors);
        CommonValidation.ValidateNonnegative(probe.FailureThreshold ?? 0, path + ".failureThreshold", errors);
        if (probe.TerminationGracePeriodSeconds is { } tg && tg <= 0)
        {
            errors.Add(FieldError.Invalid(path + ".terminationGracePeriodSeconds", tg, "must be greater than 0"));
        }
    }

    /// <summary>upstream ValidatePortNumOrName: a number in 1..65535 or an IANA service name.</summary>
    public static void ValidatePortNumOrName(IntOrString? port, string path, List<FieldError> errors)
    {
        var text = port?.Value ?? "";
        if (long.TryParse(text, out var number))
        {
            foreach (var message in NameValidation.IsValidPortNum(number))
            {
                errors.Add(FieldError.Invalid(path, number, message));
            }
        }
        else
        {
            foreach (var message in NameValidation.IsValidPortName(text))
            {
                errors.Add(FieldError.Invalid(path, text, message));
            }
        }
    }

    private static void CopyImages(IList<V1Container>? target, IList<V1Container>? source)
    {
        if (target is null || source is null || target.Count != source.Count)
        {
            return;
        }

        for (var i = 0; i < target.Count; i++)
        {
            target[i].Image = source[i].Image;
        }
    }

    private static bool TolerationsOnlyAdded(IList<V1Toleration>? old, IList<V1Toleration>? updated)
    {
        var oldList = old ?? [];
        var newList = updated ?? [];
        return oldList.All(o => newList.Any(n => SemanticEquality.AreEqual(o, n)));
    }
}
