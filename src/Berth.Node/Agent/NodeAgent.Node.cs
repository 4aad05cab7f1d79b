using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Node.Agent;

public sealed partial class NodeAgent
{
    /// <summary>
    /// Registers (or refreshes) the Node object: the same name and labels the simulated node uses (the scheduler and
    /// the provisioner's node affinity key on kubernetes.io/hostname), capacity and allocatable from this host, a Ready
    /// condition, addresses and nodeInfo, like kubelet's registerWithAPIServer and setNodeStatus.
    /// </summary>
    private async Task RegisterNodeAsync(CancellationToken ct)
    {
        var labels = new Dictionary<string, string>
        {
            ["kubernetes.io/hostname"] = _options.NodeName,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = Architecture(),
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = Architecture(),
            ["node-role.kubernetes.io/control-plane"] = string.Empty,
        };
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = _options.NodeName, Labels = labels },
            Spec = new V1NodeSpec(),
        };
        V1Node stored;
        try
        {
            stored = await _client.CreateAsync(node, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            stored = await _client.GetAsync<V1Node>(null, _options.NodeName, ct).ConfigureAwait(false)
                ?? throw new ApiException(500, "InternalError", $"node {_options.NodeName} vanished during registration");
            var merged = ModelCopy.Clone(stored);
            merged.Metadata.Labels ??= new Dictionary<string, string>();
            // A simulated run of the same data dir marked the node; this one runs real processes.
            if (merged.Metadata.Labels.TryGetValue("type", out var type) && type == "simulated")
            {
                merged.Metadata.Labels.Remove("type");
            }

            foreach (var (k, v) in labels)
            {
                merged.Metadata.Labels[k] = v;
            }

            stored = await _client.UpdateAsync(merged, ct).ConfigureAwait(false);
        }

        var now = _time.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var copy = ModelCopy.Clone(stored);
        var capacity = Capacity();
        copy.Status = new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = capacity,
            Conditions =
            [
                new V1NodeCondition { Type = "MemoryPressure", Status = "False", Reason = "KubeletHasSufficientMemory", Message = "kubelet has sufficient memory available", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "DiskPressure", Status = "False", Reason = "KubeletHasNoDiskPressure", Message = "kubelet has no disk pressure", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "PIDPressure", Status = "False", Reason = "KubeletHasSufficientPID", Message = "kubelet has sufficient PID available", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now },
            ],
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = _options.HostIP },
                new V1NodeAddress { Type = "Hostname", Address = _options.NodeName },
            ],
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = Architecture(),
                OperatingSystem = "linux",
                KubeletVersion = "v1.34.0-berth",
                KubeProxyVersion = string.Empty,
                ContainerRuntimeVersion = _options.RuntimeVersion,
                KernelVersion = ReadTrimmed("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.Version.ToString(),
                OsImage = OsImage(),
                BootID = ReadTrimmed("/proc/sys/kernel/random/boot_id") ?? string.Empty,
                MachineID = ReadTrimmed("/etc/machine-id") ?? string.Empty,
                SystemUUID = string.Empty,
            },
        };
        await _client.UpdateStatusAsync(copy, ct).ConfigureAwait(false);
    }

    private static string Architecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        _ => "amd64",
    };

    private Dictionary<string, ResourceQuantity> Capacity()
    {
        var memoryKi = 0L;
        foreach (var line in ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                _ = long.TryParse(line["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), NumberStyles.Integer,
                    CultureInfo.InvariantCulture, out memoryKi);
            }
        }

        var storage = 0L;
        try
        {
            var dir = _options.DataDir ?? _options.VolumeDirectory;
            Directory.CreateDirectory(dir);
            storage = new DriveInfo(dir).TotalSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
        }

        return new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new((memoryKi > 0 ? memoryKi : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"),
            ["pods"] = new("110"),
            ["ephemeral-storage"] = new(Math.Max(0, storage / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"),
        };
    }

    private static string OsImage()
    {
        foreach (var line in ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return "Linux";
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
