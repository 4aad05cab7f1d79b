using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// upstream defaulting (pkg/apis/*/v1/defaults.go, SetDefaults_*), applied in place after decoding and before
/// validation, so stored and returned objects look like a real cluster's. <see cref="AdmitCreate"/> adds what
/// upstream's create-time admission plugins and REST create logic fill in.
/// </summary>
internal static class ObjectDefaulter
{
    private const int DefaultMode = 420; // 0644, upstream's default file mode for projected data volumes.

    public static void Default(object model)
    {
        ZeroValues.Fill(model);
        switch (model)
        {
            case V1StatefulSet set:
                DefaultStatefulSet(set);
                break;
            case V1Pod pod:
                DefaultPod(pod);
                break;
            case V1Service service:
                DefaultService(service);
                break;
            case V1PersistentVolumeClaim claim:
                DefaultClaim(claim);
                break;
            case V1PersistentVolume volume:
                DefaultVolume(volume);
                break;
            case V1Namespace ns:
                DefaultNamespace(ns);
                break;
            case V1Secret secret:
                if (string.IsNullOrEmpty(secret.Type))
                {
                    secret.Type = "Opaque";
                }

                // upstream Convert_v1_Secret_To_core_Secret: stringData is write-only, merged into data (overwriting)
                // and never stored or returned.
                if (secret.StringData is { Count: > 0 } strings)
                {
                    secret.Data ??= new Dictionary<string, byte[]>();
                    foreach (var (key, value) in strings)
                    {
                        secret.Data[key] = System.Text.Encoding.UTF8.GetBytes(value ?? "");
                    }
                }

                secret.StringData = null;
                break;
            case V1Endpoints endpoints:
                foreach (var port in (endpoints.Subsets ?? []).SelectMany(s => s.Ports ?? []))
                {
                    port.Protocol ??= "TCP";
                }

                break;
            case V1EndpointSlice slice:
                // upstream discovery/v1 SetDefaults_EndpointPort.
                foreach (var port in slice.Ports ?? [])
                {
                    port.Name ??= "";
                    port.Protocol ??= "TCP";
                }

                break;
            case V1StorageClass storageClass:
                storageClass.ReclaimPolicy ??= "Delete";
                storageClass.VolumeBindingMode ??= "Immediate";
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Create-only additions that upstream makes outside defaults.go: the Priority, ServiceAccount and
    /// DefaultTolerationSeconds admission plugins for pods, and the namespace strategy's "kubernetes" finalizer.
    /// They must not run on update, or a PUT that omits them would look like a forbidden pod spec change.
    /// </summary>
    public static void AdmitCreate(object model)
    {
        switch (model)
        {
            case V1Pod pod:
                var spec = pod.Spec ??= new V1PodSpec();
                spec.Priority ??= 0;
                spec.PreemptionPolicy ??= "PreemptLowerPriority";
                if (string.IsNullOrEmpty(spec.ServiceAccountName))
                {
                    spec.ServiceAccountName = string.IsNullOrEmpty(spec.ServiceAccount) ? "default" : spec.ServiceAccount;
                }

                spec.ServiceAccount = spec.ServiceAccountName;
                spec.Tolerations ??= [];
                AddDefaultToleration(spec.Tolerations, "node.kubernetes.io/not-ready");
                AddDefaultToleration(spec.Tolerations, "node.kubernetes.io/unreachable");
                break;
            case V1Namespace ns:
                var finalizers = (ns.Spec ??= new V1NamespaceSpec()).Finalizers ??= [];
                if (!finalizers.Contains("kubernetes"))
                {
                    finalizers.Add("kubernetes");
                }

                break;
            default:
                break;
        }
    }

    private static void AddDefaultToleration(IList<V1Toleration> tolerations, string key)
    {
        // DefaultTolerationSeconds: 300 s for NoExecute on not-ready/unreachable unless the pod already tolerates it.
        if (tolerations.Any(t => (t.Key == key || (string.IsNullOrEmpty(t.Key) && t.OperatorProperty == "Exists"))
                                 && (string.IsNullOrEmpty(t.Effect) || t.Effect == "NoExecute")))
        {
            return;
        }

        tolerations.Add(new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 });
    }

    private static void DefaultStatefulSet(V1StatefulSet set)
    {
        var spec = set.Spec ??= new V1StatefulSetSpec();
        if (string.IsNullOrEmpty(spec.PodManagementPolicy))
        {
            spec.PodManagementPolicy = "OrderedReady";
        }

        var strategy = spec.UpdateStrategy ??= new V1StatefulSetUpdateStrategy();
        if (string.IsNullOrEmpty(strategy.Type))
        {
            // Only an omitted type gets a rollingUpdate block: an explicit "RollingUpdate" without one keeps it nil.
            strategy.Type = "RollingUpdate";
            strategy.RollingUpdate ??= new V1RollingUpdateStatefulSetStrategy();
        }

        // maxUnavailable is left alone: upstream defaults it to 1 only under the MaxUnavailableStatefulSet gate,
        // which is off by default through 1.34.
        if (strategy.Type == "RollingUpdate" && strategy.RollingUpdate is { } rolling)
        {
            rolling.Partition ??= 0;
        }

        var retention = spec.PersistentVolumeClaimRetentionPolicy ??= new V1StatefulSetPersistentVolumeClaimRetentionPolicy();
        if (string.IsNullOrEmpty(retention.WhenDeleted))
        {
            retention.WhenDeleted = "Retain";
        }

        if (string.IsNullOrEmpty(retention.WhenScaled))
        {
            retention.WhenScaled = "Retain";
        }

        spec.Replicas ??= 1;
        spec.RevisionHistoryLimit ??= 10;
        DefaultPodSpec((spec.Template ??= new V1PodTemplateSpec()).Spec ??= new V1PodSpec());
        foreach (var claim in spec.VolumeClaimTemplates ?? [])
        {
            DefaultClaim(claim);
        }
    }

    private static void DefaultPod(V1Pod pod)
    {
        var spec = pod.Spec ??= new V1PodSpec();
        DefaultPodSpec(spec);

        // SetDefaults_Pod (pods only, not templates): service links on, and requests default to limits.
        spec.EnableServiceLinks ??= true;
        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            if (container.Resources?.Limits is { Count: > 0 } limits)
            {
                var requests = container.Resources.Requests ??= new Dictionary<string, ResourceQuantity>();
                foreach (var (name, quantity) in limits)
                {
                    requests.TryAdd(name, quantity);
                }
            }
        }
    }

    internal static void DefaultPodSpec(V1PodSpec spec)
    {
        if (string.IsNullOrEmpty(spec.DnsPolicy))
        {
            spec.DnsPolicy = "ClusterFirst";
        }

        if (string.IsNullOrEmpty(spec.RestartPolicy))
        {
            spec.RestartPolicy = "Always";
        }

        spec.SecurityContext ??= new V1PodSecurityContext();
        spec.TerminationGracePeriodSeconds ??= 30;
        if (string.IsNullOrEmpty(spec.SchedulerName))
        {
            spec.SchedulerName = "default-scheduler";
        }

        if (!string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            // v1 conversion mirrors the deprecated serviceAccount field from serviceAccountName.
            spec.ServiceAccount = spec.ServiceAccountName;
        }

        foreach (var container in spec.InitContainers ?? [])
        {
            DefaultContainer(container, spec.HostNetwork == true);
        }

        foreach (var container in spec.Containers ?? [])
        {
            DefaultContainer(container, spec.HostNetwork == true);
        }

        foreach (var volume in spec.Volumes ?? [])
        {
            DefaultVolumeSource(volume);
        }
    }

    private static void DefaultContainer(V1Container container, bool hostNetwork)
    {
        if (string.IsNullOrEmpty(container.ImagePullPolicy))
        {
            container.ImagePullPolicy = ImageTag(container.Image ?? "") == "latest" ? "Always" : "IfNotPresent";
        }

        if (string.IsNullOrEmpty(container.TerminationMessagePath))
        {
            container.TerminationMessagePath = "/dev/termination-log";
        }

        if (string.IsNullOrEmpty(container.TerminationMessagePolicy))
        {
            container.TerminationMessagePolicy = "File";
        }

        foreach (var port in container.Ports ?? [])
        {
            if (string.IsNullOrEmpty(port.Protocol))
            {
                port.Protocol = "TCP";
            }

            if (hostNetwork && (port.HostPort ?? 0) == 0)
            {
                port.HostPort = port.ContainerPort;
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom?.FieldRef is { } fieldRef && string.IsNullOrEmpty(fieldRef.ApiVersion))
            {
                fieldRef.ApiVersion = "v1";
            }
        }

        DefaultProbe(container.LivenessProbe);
        DefaultProbe(container.ReadinessProbe);
        DefaultProbe(container.StartupProbe);
        DefaultHttpGet(container.Lifecycle?.PostStart?.HttpGet);
        DefaultHttpGet(container.Lifecycle?.PreStop?.HttpGet);
    }

    /// <summary>
    /// upstream parsers.ParseImageName's tag: what follows the last ':' after the last '/', "latest" when the
    /// reference has neither a tag nor a digest, and empty for a digest-only reference.
    /// </summary>
    internal static string ImageTag(string image)
    {
        var digest = image.IndexOf('@', StringComparison.Ordinal);
        var name = digest >= 0 ? image[..digest] : image;
        var lastSlash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > lastSlash)
        {
            return name[(colon + 1)..];
        }

        return digest >= 0 ? "" : "latest";
    }

    private static void DefaultProbe(V1Probe? probe)
    {
        if (probe is null)
        {
            return;
        }

        if ((probe.TimeoutSeconds ?? 0) == 0)
        {
            probe.TimeoutSeconds = 1;
        }

        if ((probe.PeriodSeconds ?? 0) == 0)
        {
            probe.PeriodSeconds = 10;
        }

        if ((probe.SuccessThreshold ?? 0) == 0)
        {
            probe.SuccessThreshold = 1;
        }

        if ((probe.FailureThreshold ?? 0) == 0)
        {
            probe.FailureThreshold = 3;
        }

        DefaultHttpGet(probe.HttpGet);
        if (probe.Grpc is { } grpc)
        {
            grpc.Service ??= "";
        }
    }

    private static void DefaultHttpGet(V1HTTPGetAction? action)
    {
        if (action is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(action.Path))
        {
            action.Path = "/";
        }

        if (string.IsNullOrEmpty(action.Scheme))
        {
            action.Scheme = "HTTP";
        }
    }

    private static void DefaultVolumeSource(V1Volume volume)
    {
        if (typeof(V1Volume).GetProperties().Where(p => p.Name != nameof(V1Volume.Name)).All(p => p.GetValue(volume) is null))
        {
            // SetDefaults_Volume: a volume with no source is an emptyDir.
            volume.EmptyDir = new V1EmptyDirVolumeSource();
        }

        if (volume.Secret is { } secret)
        {
            secret.DefaultMode ??= DefaultMode;
        }

        if (volume.ConfigMap is { } configMap)
        {
            configMap.DefaultMode ??= DefaultMode;
        }

        if (volume.DownwardAPI is { } downward)
        {
            downward.DefaultMode ??= DefaultMode;
        }

        if (volume.Projected is { } projected)
        {
            projected.DefaultMode ??= DefaultMode;
        }

        if (volume.HostPath is { } hostPath)
        {
            hostPath.Type ??= "";
        }
    }

    private static void DefaultService(V1Service service)
    {
        var spec = service.Spec ??= new V1ServiceSpec();
        if (string.IsNullOrEmpty(spec.SessionAffinity))
        {
            spec.SessionAffinity = "None";
        }

        if (spec.SessionAffinity == "None")
        {
            spec.SessionAffinityConfig = null;
        }
        else if (spec.SessionAffinity == "ClientIP")
        {
            var clientIp = (spec.SessionAffinityConfig ??= new V1SessionAffinityConfig()).ClientIP ??= new V1ClientIPConfig();
            clientIp.TimeoutSeconds ??= 10800;
        }

        if (string.IsNullOrEmpty(spec.Type))
        {
            spec.Type = "ClusterIP";
        }

        foreach (var port in spec.Ports ?? [])
        {
            if (string.IsNullOrEmpty(port.Protocol))
            {
                port.Protocol = "TCP";
            }

            if (port.TargetPort is null || port.TargetPort.Value is null or "" or "0")
            {
                port.TargetPort = port.Port;
            }
        }

        if (spec.Type is "NodePort" or "LoadBalancer" && string.IsNullOrEmpty(spec.ExternalTrafficPolicy))
        {
            spec.ExternalTrafficPolicy = "Cluster";
        }

        if (spec.Type is "NodePort" or "LoadBalancer" or "ClusterIP")
        {
            spec.InternalTrafficPolicy ??= "Cluster";
        }

        if (spec.Type == "LoadBalancer")
        {
            spec.AllocateLoadBalancerNodePorts ??= true;
        }

        if (spec.Type != "ExternalName")
        {
            // Upstream's REST create fills these (single-stack IPv4 here; Berth's pod network is IPv4 only).
            spec.IpFamilyPolicy ??= "SingleStack";
            if (spec.IpFamilies is null || spec.IpFamilies.Count == 0)
            {
                spec.IpFamilies = ["IPv4"];
            }

            if (!string.IsNullOrEmpty(spec.ClusterIP) && (spec.ClusterIPs is null || spec.ClusterIPs.Count == 0))
            {
                spec.ClusterIPs = [spec.ClusterIP];
            }
        }
    }

    private static void DefaultClaim(V1PersistentVolumeClaim claim)
    {
        var spec = claim.Spec ??= new V1PersistentVolumeClaimSpec();
        spec.VolumeMode ??= "Filesystem";
        var status = claim.Status ??= new V1PersistentVolumeClaimStatus();
        if (string.IsNullOrEmpty(status.Phase))
        {
            status.Phase = "Pending";
        }
    }

    private static void DefaultVolume(V1PersistentVolume volume)
    {
        var spec = volume.Spec ??= new V1PersistentVolumeSpec();
        if (string.IsNullOrEmpty(spec.PersistentVolumeReclaimPolicy))
        {
            spec.PersistentVolumeReclaimPolicy = "Retain";
        }

        spec.VolumeMode ??= "Filesystem";
        if (spec.HostPath is { } hostPath)
        {
            hostPath.Type ??= "";
        }

        var status = volume.Status ??= new V1PersistentVolumeStatus();
        if (string.IsNullOrEmpty(status.Phase))
        {
            status.Phase = "Pending";
        }
    }

    private static void DefaultNamespace(V1Namespace ns)
    {
        // NamespaceDefaultLabelName (GA 1.22): every namespace carries its own name as a label.
        var meta = ns.Metadata ??= new V1ObjectMeta();
        if (!string.IsNullOrEmpty(meta.Name))
        {
            (meta.Labels ??= new Dictionary<string, string>())["kubernetes.io/metadata.name"] = meta.Name;
        }

        var status = ns.Status ??= new V1NamespaceStatus();
        if (string.IsNullOrEmpty(status.Phase))
        {
            status.Phase = "Active";
        }
    }
}
