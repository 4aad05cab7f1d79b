using System.Globalization;
using System.Text.Json;
using Berth.Core;
using static Berth.ApiServer.Tables.Cells;

namespace Berth.ApiServer.Tables;

/// <summary>
/// Column sets and cell formats of upstream's pkg/printers/internalversion for every resource Berth serves
/// (research: kubectl-protocol.md 5.6). The server fills every cell; kubectl hides priority-1 columns unless
/// -o wide.
/// </summary>
internal static class TablePrinters
{
    private const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client "
        + "to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and "
        + "configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    private const string AgeDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set "
        + "in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form "
        + "and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    private static readonly TableColumn NameColumn = new("Name", "string", "name", 0, NameDescription);
    private static readonly TableColumn AgeColumn = new("Age", "string", "", 0, AgeDescription);

    private static readonly Dictionary<string, ResourceTable> ByKind = new(StringComparer.Ordinal)
    {
        ["Pod"] = new(
        [
            NameColumn, S("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            S("Status", "The aggregate status of the containers in this pod."),
            S("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            AgeColumn, S("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            S("Node", "NodeName is a request to schedule this pod onto a specific node.", 1),
            S("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
            S("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
        ], PodCells),
        ["StatefulSet"] = new(
        [
            NameColumn, S("Ready", "Number of the pod with ready state"), AgeColumn,
            S("Containers", "Names of each container in the template.", 1), S("Images", "Images referenced by each container in the template.", 1),
        ], (o, now) =>
        [
            Name(o), $"{Long(o, "status", "readyReplicas")}/{(Get(o, "spec", "replicas") is null ? 1 : Long(o, "spec", "replicas"))}",
            Age(o, now), ContainerNames(o), ContainerImages(o),
        ]),
        ["Service"] = new(
        [
            NameColumn, S("Type", "The type of the service."), S("Cluster-IP", "The cluster ip of the service."),
            S("External-IP", "The external ip of the service."), S("Port(s)", "The ports of the service."), AgeColumn,
            S("Selector", "The selector of the service.", 1),
        ], ServiceCells),
        ["Endpoints"] = new([NameColumn, S("Endpoints", "Endpoints of the service."), AgeColumn], (o, now) => [Name(o), EndpointsCell(o), Age(o, now)]),
        ["ConfigMap"] = new([NameColumn, I("Data", "Number of data in the configmap."), AgeColumn],
            (o, now) => [Name(o), Count(o, "data") + Count(o, "binaryData"), Age(o, now)]),
        ["Secret"] = new([NameColumn, S("Type", "The type of the secret."), I("Data", "Number of data in the secret."), AgeColumn],
            (o, now) => [Name(o), Str(o, "type"), Count(o, "data"), Age(o, now)]),
        ["Namespace"] = new([NameColumn, S("Status", "The status of the namespace."), AgeColumn],
            (o, now) => [Name(o), Str(o, "status", "phase"), Age(o, now)]),
        ["ServiceAccount"] = new([NameColumn, I("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), AgeColumn],
            (o, now) => [Name(o), (long)Array(o, "secrets").Count(), Age(o, now)]),
        ["PersistentVolumeClaim"] = new(
        [
            NameColumn, S("Status", "The phase indicates if a volume is available, bound to a claim, or released by a claim."),
            S("Volume", "The binding reference to the PersistentVolume backing this claim."),
            S("Capacity", "The storage capacity of the underlying volume."),
            S("Access Modes", "AccessModes contains the actual access modes the volume backing the PVC has."),
            S("StorageClass", "StorageClassName is the name of the StorageClass required by the claim."),
            S("VolumeAttributesClass", "VolumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
            AgeColumn, S("VolumeMode", "volumeMode defines what type of volume is required by the claim.", 1),
        ], PvcCells),
        ["PersistentVolume"] = new(
        [
            NameColumn, S("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
            S("Access Modes", "accessModes contains all ways the volume can be mounted."),
            S("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            S("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            S("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            S("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
            S("VolumeAttributesClass", "Name of VolumeAttributesClass to which this persistent volume belongs."),
            S("Reason", "reason is a brief CamelCase string that describes any failure."),
            AgeColumn, S("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
        ], PvCells),
        ["StorageClass"] = new(
        [
            NameColumn, S("Provisioner", "Indicates the type of the provisioner."),
            S("ReclaimPolicy", "Indicates the type of the reclaim policy."),
            S("VolumeBindingMode", "Indicates how PersistentVolumeClaims should be provisioned and bound."),
            new TableColumn("AllowVolumeExpansion", "string", "", 0, "Indicates whether the storage class allow volume expand."),
            AgeColumn,
        ], (o, now) =>
        [
            Str(o, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class") == "true"
                || Str(o, "metadata", "annotations", "storageclass.beta.kubernetes.io/is-default-class") == "true"
                ? Name(o) + " (default)" : Name(o),
            Str(o, "provisioner"), StrOr(o, "Delete", "reclaimPolicy"), StrOr(o, "Immediate", "volumeBindingMode"),
            Get(o, "allowVolumeExpansion") is { ValueKind: JsonValueKind.True } ? "true" : "false", Age(o, now),
        ]),
        ["PodDisruptionBudget"] = new(
        [
            NameColumn, S("Min Available", "The minimum number of pods that must be available."),
            S("Max Unavailable", "The maximum number of pods that may be unavailable."),
            I("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."), AgeColumn,
        ], (o, now) =>
        [
            Name(o), StrOr(o, "N/A", "spec", "minAvailable"), StrOr(o, "N/A", "spec", "maxUnavailable"),
            Long(o, "status", "disruptionsAllowed"), Age(o, now),
        ]),
        ["Event"] = new(
        [
            S("Last Seen", "Time when last this event was recorded."), S("Type", "Type of this event."),
            S("Reason", "Reason why this event was generated."), S("Object", "Object this event is about."),
            S("Subobject", "Subobject this event is about.", 1), S("Source", "Source that generated this event.", 1),
            S("Message", "Message describing this event."), S("First Seen", "Time when this event was first recorded.", 1),
            I("Count", "Number of occurrences of this event.", 1), new TableColumn("Name", "string", "name", 1, NameDescription),
        ], EventCells),
        ["ControllerRevision"] = new(
        [
            NameColumn, S("Controller", "Controller of the object."), I("Revision", "Revision of the ControllerRevision."), AgeColumn,
        ], (o, now) => [Name(o), ControllerCell(o), Long(o, "revision"), Age(o, now)]),
        ["Node"] = new(
        [
            NameColumn, S("Status", "The status of the node"), S("Roles", "The roles of the node"), AgeColumn,
            S("Version", "Kubelet Version reported by the node."), S("Internal-IP", "List of addresses reachable to the node", 1),
            S("External-IP", "List of addresses reachable to the node", 1), S("OS-Image", "OS Image reported by the node.", 1),
            S("Kernel-Version", "Kernel Version reported by the node.", 1),
            S("Container-Runtime", "Container Runtime Version reported by the node.", 1),
        ], NodeCells),
        ["Lease"] = new([NameColumn, S("Holder", "The holder of the lease."), AgeColumn],
            (o, now) => [Name(o), Str(o, "spec", "holderIdentity"), Age(o, now)]),
        ["EndpointSlice"] = new(
        [
            NameColumn, S("AddressType", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this "
                + "slice must be the same type. This field is immutable after creation."),
            S("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
            S("Endpoints", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."),
            AgeColumn,
        ], (o, now) => [Name(o), Str(o, "addressType"), DiscoveryPorts(o), DiscoveryEndpoints(o), Age(o, now)]),
    };

    private static readonly ResourceTable Default = new(
        [NameColumn, new TableColumn("Created At", "date", "", 0, AgeDescription)],
        (o, _) => [Name(o), Str(o, "metadata", "creationTimestamp")]);

    public static ResourceTable For(ResourceDescriptor resource) => ByKind.GetValueOrDefault(resource.Kind, Default);

    private static TableColumn S(string name, string description, int priority = 0) => new(name, "string", "", priority, description);

    private static TableColumn I(string name, string description, int priority = 0) => new(name, "integer", "", priority, description);

    private static long Count(JsonElement o, string property) =>
        Get(o, property) is { ValueKind: JsonValueKind.Object } m ? m.EnumerateObject().Count() : 0;

    private static string ContainerNames(JsonElement o)
    {
        var names = Array(o, "spec", "template", "spec", "containers").Select(c => Str(c, "name"));
        return string.Join(",", names);
    }

    private static string ContainerImages(JsonElement o) =>
        string.Join(",", Array(o, "spec", "template", "spec", "containers").Select(c => Str(c, "image")));

    /// <summary>upstream printPod: READY, STATUS (the most telling container reason), RESTARTS with "(5m ago)".</summary>
    private static object[] PodCells(JsonElement o, DateTimeOffset now)
    {
        var totalContainers = Length(o, "spec", "containers");
        var readyContainers = 0;
        long restarts = 0;
        DateTimeOffset? lastRestart = null;
        var reason = StrOr(o, "", "status", "phase");
        if (Str(o, "status", "reason") is { Length: > 0 } podReason)
        {
            reason = podReason;
        }

        var initializing = false;
        var initStatuses = Array(o, "status", "initContainerStatuses").ToList();
        var initCount = Length(o, "spec", "initContainers");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var c = initStatuses[i];
            restarts += Long(c, "restartCount");
            TrackRestart(c, ref lastRestart);
            if (Get(c, "state", "terminated") is { } t && Long(t, "exitCode") == 0)
            {
                continue;
            }

            if (Get(c, "state", "running") is not null && Get(c, "started") is { ValueKind: JsonValueKind.True })
            {
                continue; // a started sidecar
            }

            if (Get(c, "state", "terminated") is { } term)
            {
                reason = Str(term, "reason") is { Length: > 0 } r ? "Init:" + r
                    : Long(term, "signal") != 0 ? "Init:Signal:" + Long(term, "signal") : "Init:ExitCode:" + Long(term, "exitCode");
            }
            else if (Str(c, "state", "waiting", "reason") is { Length: > 0 } w && w != "PodInitializing")
            {
                reason = "Init:" + w;
            }
            else
            {
                reason = $"Init:{i}/{initCount}";
            }

            initializing = true;
            break;
        }

        if (!initializing)
        {
            var hasRunning = false;
            var statuses = Array(o, "status", "containerStatuses").ToList();
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var c = statuses[i];
                restarts += Long(c, "restartCount");
                TrackRestart(c, ref lastRestart);
                if (Str(c, "state", "waiting", "reason") is { Length: > 0 } w)
                {
                    reason = w;
                }
                else if (Get(c, "state", "terminated") is { } t)
                {
                    reason = Str(t, "reason") is { Length: > 0 } r ? r
                        : Long(t, "signal") != 0 ? "Signal:" + Long(t, "signal") : "ExitCode:" + Long(t, "exitCode");
                }
                else if (Get(c, "ready") is { ValueKind: JsonValueKind.True } && Get(c, "state", "running") is not null)
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = Array(o, "status", "conditions").Any(c => Str(c, "type") == "Ready" && Str(c, "status") == "True")
                    ? "Running" : "NotReady";
            }
        }

        if (Deleting(o))
        {
            reason = Str(o, "status", "reason") == "NodeLost" ? "Unknown" : "Terminating";
        }

        var restartsCell = restarts.ToString(CultureInfo.InvariantCulture);
        if (lastRestart is { } last)
        {
            restartsCell += $" ({HumanDuration.Format(now - last)} ago)";
        }

        var gates = Array(o, "spec", "readinessGates").Select(g => Str(g, "conditionType")).ToList();
        var gatesCell = None;
        if (gates.Count > 0)
        {
            var trueCount = gates.Count(g => Array(o, "status", "conditions").Any(c => Str(c, "type") == g && Str(c, "status") == "True"));
            gatesCell = $"{trueCount}/{gates.Count}";
        }

        return
        [
            Name(o), $"{readyContainers}/{totalContainers}", reason, restartsCell, Age(o, now),
            StrOr(o, None, "status", "podIP"), StrOr(o, None, "spec", "nodeName"), StrOr(o, None, "status", "nominatedNodeName"), gatesCell,
        ];
    }

    private static void TrackRestart(JsonElement containerStatus, ref DateTimeOffset? last)
    {
        if (Long(containerStatus, "restartCount") == 0)
        {
            return;
        }

        if (Time(containerStatus, "lastState", "terminated", "finishedAt") is { } t && (last is null || t > last))
        {
            last = t;
        }
    }

    private static object[] ServiceCells(JsonElement o, DateTimeOffset now)
    {
        var type = StrOr(o, "ClusterIP", "spec", "type");
        var clusterIp = StrOr(o, None, "spec", "clusterIP");
        var externalIps = Array(o, "spec", "externalIPs").Select(e => e.GetString() ?? "").ToList();
        string external;
        switch (type)
        {
            case "ClusterIP" or "NodePort":
                external = externalIps.Count > 0 ? string.Join(",", externalIps) : None;
                break;
            case "LoadBalancer":
                var ingress = Array(o, "status", "loadBalancer", "ingress")
                    .Select(i => StrOr(i, Str(i, "hostname"), "ip")).Where(s => s.Length > 0).Concat(externalIps).ToList();
                external = ingress.Count > 0 ? string.Join(",", ingress) : "<pending>";
                break;
            case "ExternalName":
                external = Str(o, "spec", "externalName");
                break;
            default:
                external = "<unknown>";
                break;
        }

        var ports = Array(o, "spec", "ports").Select(p =>
        {
            var protocol = StrOr(p, "TCP", "protocol");
            var nodePort = Long(p, "nodePort");
            return nodePort > 0 ? $"{Long(p, "port")}:{nodePort}/{protocol}" : $"{Long(p, "port")}/{protocol}";
        }).ToList();
        return
        [
            Name(o), type, clusterIp, external, ports.Count == 0 ? None : string.Join(",", ports), Age(o, now),
            Pairs(Get(o, "spec", "selector")),
        ];
    }

    private static string EndpointsCell(JsonElement o)
    {
        var list = new List<string>();
        var total = 0;
        foreach (var subset in Array(o, "subsets"))
        {
            var ports = Array(subset, "ports").Select(p => Long(p, "port")).ToList();
            foreach (var address in Array(subset, "addresses"))
            {
                var ip = Str(address, "ip");
                if (ports.Count == 0)
                {
                    total++;
                    if (list.Count < 3)
                    {
                        list.Add(ip);
                    }
                }

                foreach (var port in ports)
                {
                    total++;
                    if (list.Count < 3)
                    {
                        list.Add($"{ip}:{port}");
                    }
                }
            }
        }

        if (total == 0)
        {
            return None;
        }

        var result = string.Join(",", list);
        return total > list.Count ? $"{result} + {total - list.Count} more..." : result;
    }

    /// <summary>upstream formatDiscoveryPorts: up to three port numbers (the name when unset, "*" without either).</summary>
    private static string DiscoveryPorts(JsonElement o)
    {
        var ports = Array(o, "ports").Select(p => Get(p, "port") is { ValueKind: JsonValueKind.Number } n
            ? n.GetInt64().ToString(CultureInfo.InvariantCulture)
            : Get(p, "name") is { ValueKind: JsonValueKind.String } name ? name.GetString() ?? "*" : "*").ToList();
        return ListWithMore(ports);
    }

    /// <summary>upstream formatDiscoveryEndpoints: the first three addresses over all endpoints.</summary>
    private static string DiscoveryEndpoints(JsonElement o) =>
        ListWithMore([.. Array(o, "endpoints").SelectMany(e => Array(e, "addresses")).Select(a => a.GetString() ?? "")]);

    /// <summary>upstream listWithMoreString: "a,b,c + 2 more...", or "&lt;unset&gt;" for none.</summary>
    private static string ListWithMore(List<string> items)
    {
        const int max = 3;
        if (items.Count == 0)
        {
            return "<unset>";
        }

        var shown = string.Join(",", items.Take(max));
        return items.Count > max ? $"{shown} + {items.Count - max} more..." : shown;
    }

    private static object[] PvcCells(JsonElement o, DateTimeOffset now)
    {
        var phase = Deleting(o) ? "Terminating" : Str(o, "status", "phase");
        var bound = Str(o, "spec", "volumeName").Length > 0;
        return
        [
            Name(o), phase, Str(o, "spec", "volumeName"), bound ? Str(o, "status", "capacity", "storage") : "",
            bound ? AccessModes(o, "status", "accessModes") : "", Str(o, "spec", "storageClassName"),
            StrOr(o, "<unset>", "spec", "volumeAttributesClassName"), Age(o, now), StrOr(o, "<unset>", "spec", "volumeMode"),
        ];
    }

    private static object[] PvCells(JsonElement o, DateTimeOffset now)
    {
        var claim = Get(o, "spec", "claimRef") is { } c ? Str(c, "namespace") + "/" + Str(c, "name") : "";
        return
        [
            Name(o), Str(o, "spec", "capacity", "storage"), AccessModes(o, "spec", "accessModes"),
            Str(o, "spec", "persistentVolumeReclaimPolicy"), Deleting(o) ? "Terminating" : Str(o, "status", "phase"), claim,
            Str(o, "spec", "storageClassName"), StrOr(o, "<unset>", "spec", "volumeAttributesClassName"), Str(o, "status", "reason"),
            Age(o, now), StrOr(o, "<unset>", "spec", "volumeMode"),
        ];
    }

    private static object[] EventCells(JsonElement o, DateTimeOffset now)
    {
        var first = Str(o, "firstTimestamp").Length > 0 ? Since(o, now, "firstTimestamp") : Since(o, now, "eventTime");
        var last = Str(o, "lastTimestamp").Length > 0 ? Since(o, now, "lastTimestamp") : first;
        var count = Long(o, "count");
        if (Get(o, "series") is { } series)
        {
            last = Since(series, now, "lastObservedTime");
            count = Long(series, "count");
        }
        else if (count == 0)
        {
            count = 1;
        }

        var kind = Str(o, "involvedObject", "kind").ToLowerInvariant();
        var objectName = Str(o, "involvedObject", "name");
        var target = objectName.Length > 0 ? kind + "/" + objectName : kind;
        var component = Str(o, "source", "component");
        var host = Str(o, "source", "host");
        if (component.Length == 0)
        {
            component = Str(o, "reportingComponent");
            host = Str(o, "reportingInstance");
        }

        var source = host.Length > 0 ? component + ", " + host : component;
        return
        [
            last, Str(o, "type"), Str(o, "reason"), target, Str(o, "involvedObject", "fieldPath"), source,
            Str(o, "message").Trim(), first, count, Name(o),
        ];
    }

    private static string ControllerCell(JsonElement o)
    {
        foreach (var owner in Array(o, "metadata", "ownerReferences"))
        {
            if (Get(owner, "controller") is { ValueKind: JsonValueKind.True })
            {
                var apiVersion = Str(owner, "apiVersion");
                var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
                var group = slash < 0 ? "" : apiVersion[..slash];
                var kind = Str(owner, "kind").ToLowerInvariant();
                return (group.Length == 0 ? kind : kind + "." + group) + "/" + Str(owner, "name");
            }
        }

        return None;
    }

    private static object[] NodeCells(JsonElement o, DateTimeOffset now)
    {
        var conditions = Array(o, "status", "conditions").ToList();
        var ready = conditions.FirstOrDefault(c => Str(c, "type") == "Ready");
        var status = ready.ValueKind == JsonValueKind.Undefined ? "Unknown"
            : Str(ready, "status") == "True" ? "Ready" : Str(ready, "status") == "False" ? "NotReady" : "Unknown";
        if (Get(o, "spec", "unschedulable") is { ValueKind: JsonValueKind.True })
        {
            status += ",SchedulingDisabled";
        }

        var roles = new List<string>();
        if (Get(o, "metadata", "labels") is { ValueKind: JsonValueKind.Object } labels)
        {
            foreach (var label in labels.EnumerateObject())
            {
                if (label.Name.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
                {
                    roles.Add(label.Name["node-role.kubernetes.io/".Length..]);
                }
                else if (label.Name == "kubernetes.io/role")
                {
                    roles.Add(label.Value.GetString() ?? "");
                }
            }
        }

        string Address(string type) => Array(o, "status", "addresses").Where(a => Str(a, "type") == type)
            .Select(a => Str(a, "address")).FirstOrDefault() ?? None;

        return
        [
            Name(o), status, roles.Count == 0 ? None : string.Join(",", roles.Order(StringComparer.Ordinal)), Age(o, now),
            Str(o, "status", "nodeInfo", "kubeletVersion"), Address("InternalIP"), Address("ExternalIP"),
            StrOr(o, "<unknown>", "status", "nodeInfo", "osImage"), StrOr(o, "<unknown>", "status", "nodeInfo", "kernelVersion"),
            StrOr(o, "<unknown>", "status", "nodeInfo", "containerRuntimeVersion"),
        ];
    }
}
