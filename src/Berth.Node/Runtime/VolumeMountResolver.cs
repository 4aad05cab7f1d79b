using k8s.Models;

namespace Berth.Node.Runtime;

/// <summary>
/// Turns a container's volumeMounts into bind mounts, refusing what would escape the volume or break the
/// sandbox. subPath follows upstream: validation rejects absolute paths and '..' (validateLocalDescendingPath in
/// pkg/apis/core/validation), and kubelet refuses a subPath that resolves through a symlink to outside its volume
/// (pkg/volume/util/subpath). A missing subPath directory is created, as kubelet does.
/// </summary>
internal static class VolumeMountResolver
{
    // Directories the sandbox runs from (the host root is the pod's lower layer): a volume over one of them would
    // hide the binaries and libraries every payload needs, or the kernel interfaces bwrap sets up.
    private static readonly HashSet<string> ProtectedPaths = new(StringComparer.Ordinal)
    {
        "/", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc", "/boot", "/proc", "/sys", "/dev",
        "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/etc/passwd", "/etc/group",
    };

    private static readonly string[] ProtectedTrees = ["/proc/", "/sys/", "/dev/", ImageCatalogPathPrefix];

    private const string ImageCatalogPathPrefix = "/.berth/";

    public static List<VolumeBind> Resolve(PodSandbox sandbox, V1Container container)
    {
        var binds = new List<VolumeBind>();
        var index = 0;
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var field = $"spec.containers[{container.Name}].volumeMounts[{index++}]";
            if (!sandbox.VolumeDirectories.TryGetValue(mount.Name ?? "", out var volumeDir))
            {
                throw Config($"{field}.name: Not found: \"{mount.Name}\": the pod has no volume with that name");
            }

            var destination = mount.MountPath ?? "";
            if (!destination.StartsWith('/') || destination.Split('/').Contains(".."))
            {
                throw Config($"{field}.mountPath: Invalid value: \"{destination}\": must be an absolute path without '..'");
            }

            var normalized = "/" + string.Join('/', destination.Split('/', StringSplitOptions.RemoveEmptyEntries));
            if (ProtectedPaths.Contains(normalized) || ProtectedTrees.Any(t => (normalized + "/").StartsWith(t, StringComparison.Ordinal)))
            {
                throw Config($"{field}.mountPath: Invalid value: \"{destination}\": volume \"{mount.Name}\" would be mounted over " +
                    "the system path " + normalized + ", which Berth's sandbox runs from; choose another mountPath");
            }

            var source = volumeDir;
            var subPath = mount.SubPath ?? "";
            if (subPath.Length > 0)
            {
                if (subPath.StartsWith('/'))
                {
                    throw Config($"{field}.subPath: Invalid value: \"{subPath}\": must be a relative path");
                }

                if (subPath.Split('/').Contains(".."))
                {
                    throw Config($"{field}.subPath: Invalid value: \"{subPath}\": must not contain '..'");
                }

                source = Path.Combine(volumeDir, subPath);
                var volumeReal = LinuxNative.RealPath(volumeDir) ?? volumeDir;
                // Check before creating anything: an existing symlink on the way must not lead us to mkdir outside.
                CheckInside(source, volumeReal, subPath, field);
                if (!Path.Exists(source))
                {
                    Directory.CreateDirectory(source);
                }

                CheckInside(source, volumeReal, subPath, field);
            }

            binds.Add(new VolumeBind(source, normalized, mount.ReadOnlyProperty == true || AlwaysReadOnly(sandbox, mount.Name!)));
        }

        // Parents before children, so a nested mountPath is not hidden by its parent's bind (stable for equal depth).
        return [.. binds.OrderBy(b => b.Destination.Count(c => c == '/'))];
    }

    /// <summary>
    /// kubelet mounts configMap, secret, downwardAPI and projected volumes read-only whatever the mount says, and a
    /// persistentVolumeClaim source with readOnly: true as well.
    /// </summary>
    private static bool AlwaysReadOnly(PodSandbox sandbox, string volumeName)
    {
        var volume = sandbox.Pod.Spec.Volumes?.FirstOrDefault(v => v.Name == volumeName);
        return volume is not null && (volume.ConfigMap is not null || volume.Secret is not null || volume.DownwardAPI is not null
            || volume.Projected is not null || volume.PersistentVolumeClaim?.ReadOnlyProperty == true);
    }

    private static void CheckInside(string source, string volumeReal, string subPath, string field)
    {
        // Walk up to the deepest existing ancestor and resolve it: wherever the symlinks lead must be the volume.
        var probe = source;
        while (!Path.Exists(probe) && Path.GetDirectoryName(probe) is { } parent)
        {
            probe = parent;
        }

        var real = LinuxNative.RealPath(probe);
        if (real is null || (real != volumeReal && !real.StartsWith(volumeReal + "/", StringComparison.Ordinal)))
        {
            throw Config($"{field}.subPath: Invalid value: \"{subPath}\": subpath \"{real ?? probe}\" is not within the volume " +
                $"path \"{volumeReal}\"");
        }
    }

    private static ContainerStartException Config(string message) => new(ContainerReasons.CreateContainerConfigError, message);
}
