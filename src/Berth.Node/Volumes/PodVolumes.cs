using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Node.Pods;
using k8s.Models;

namespace Berth.Node.Volumes;

/// <summary>
/// Turns a pod's volumes into host directories for the runtime, like kubelet's volume manager: a
/// persistentVolumeClaim becomes its bound PV's directory (local or hostPath); configMap, secret, downwardAPI and
/// projected volumes are rendered under ROOT/&lt;pod uid&gt;/&lt;volume&gt; with the atomic writer, and re-rendered when
/// their sources change; emptyDir is left to the runtime. Anything missing is reported, never papered over: a
/// missing ConfigMap or Secret, or an unbound claim, keeps the pod waiting.
/// </summary>
internal sealed class PodVolumes(IObjectCache cache, string root, TimeProvider time)
{
    private const int DefaultMode = 0b110_100_100; // 0644, upstream's defaultMode for configMap/secret/downwardAPI/projected
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _rendered = new(StringComparer.Ordinal);

    public string PodDirectory(string uid) => Path.Combine(root, uid);

    /// <summary>
    /// Host directories for every volume but emptyDir, rendering the projected kinds; or the problems that keep the pod
    /// from starting (nothing is half-rendered then: a pod never starts with wrong data).
    /// </summary>
    public (Dictionary<string, string>? Sources, List<VolumeProblem> Problems) Resolve(V1Pod pod)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<VolumeProblem>();
        var payloads = new List<(string Volume, Dictionary<string, VolumeFile> Payload)>();
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            try
            {
                if (volume.EmptyDir is not null)
                {
                    continue;
                }

                if (Payload(pod, volume) is { } payload)
                {
                    payloads.Add((volume.Name, payload));
                    continue;
                }

                sources[volume.Name] = HostDirectory(pod, volume);
            }
            catch (VolumeException e)
            {
                problems.Add(new VolumeProblem(volume.Name, e.Message));
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        foreach (var (name, payload) in payloads)
        {
            try
            {
                sources[name] = Render(pod.Metadata.Uid, name, payload);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                problems.Add(new VolumeProblem(name, e.Message));
            }
        }

        return problems.Count > 0 ? (null, problems) : (sources, problems);
    }

    /// <summary>
    /// Re-renders the projected kinds of a running pod from the current ConfigMaps, Secrets and pod metadata. A source
    /// that vanished keeps the last content (kubelet keeps the files until the source comes back).
    /// </summary>
    public void Refresh(V1Pod pod)
    {
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            try
            {
                if (Payload(pod, volume) is { } payload)
                {
                    Render(pod.Metadata.Uid, volume.Name, payload);
                }
            }
            catch (Exception e) when (e is VolumeException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
            }
        }
    }

    public void Remove(string uid)
    {
        lock (_gate)
        {
            foreach (var key in _rendered.Keys.Where(k => k.StartsWith(uid + "/", StringComparison.Ordinal)).ToList())
            {
                _rendered.Remove(key);
            }
        }

        var dir = PodDirectory(uid);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string Render(string uid, string volume, Dictionary<string, VolumeFile> payload)
    {
        var dir = Path.Combine(PodDirectory(uid), volume);
        var hash = Hash(payload);
        lock (_gate)
        {
            if (_rendered.TryGetValue(uid + "/" + volume, out var previous) && previous == hash && Directory.Exists(dir))
            {
                return dir;
            }

            AtomicWriter.Write(dir, payload, time);
            _rendered[uid + "/" + volume] = hash;
        }

        return dir;
    }

    private static string Hash(Dictionary<string, VolumeFile> payload)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, file) in payload.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{path}\0{file.Mode}\0{file.Content.Length}\0"));
            sha.AppendData(file.Content);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private string HostDirectory(V1Pod pod, V1Volume volume)
    {
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        if (volume.PersistentVolumeClaim is { } source)
        {
            var claim = cache.Claim(ns, source.ClaimName)
                ?? throw new VolumeException($"persistentvolumeclaim \"{source.ClaimName}\" not found");
            if (claim.Status?.Phase != "Bound" || string.IsNullOrEmpty(claim.Spec?.VolumeName))
            {
                // kubelet's volume manager: "error processing PVC ns/name: PVC is not bound".
                throw new VolumeException($"error processing PVC {ns}/{source.ClaimName}: PVC is not bound");
            }

            var pv = cache.PersistentVolume(claim.Spec.VolumeName)
                ?? throw new VolumeException($"persistentvolume \"{claim.Spec.VolumeName}\" not found");
            var path = pv.Spec?.Local?.Path ?? pv.Spec?.HostPath?.Path
                ?? throw new VolumeException(
                    $"persistentvolume \"{pv.Metadata.Name}\" is neither a local nor a hostPath volume: Berth's node can only mount directories");
            if (!Directory.Exists(path))
            {
                throw new VolumeException($"persistentvolume \"{pv.Metadata.Name}\": path \"{path}\" does not exist on this node");
            }

            return path;
        }

        if (volume.HostPath is { } hostPath)
        {
            return HostPathDirectory(hostPath);
        }

        var kind = volume.Ephemeral is not null ? "ephemeral"
            : volume.Nfs is not null ? "nfs"
            : volume.Csi is not null ? "csi"
            : volume.Iscsi is not null ? "iscsi"
            : "this kind of";
        throw new VolumeException($"{kind} volumes are not supported by Berth's node (use emptyDir, persistentVolumeClaim, " +
            "configMap, secret, downwardAPI, projected or hostPath)");
    }

    /// <summary>hostPath with upstream's type checks (pkg/volume/hostpath); *OrCreate makes what is missing.</summary>
    private static string HostPathDirectory(V1HostPathVolumeSource source)
    {
        var path = source.Path;
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/'))
        {
            throw new VolumeException($"hostPath \"{path}\" must be an absolute path");
        }

        switch (source.Type ?? "")
        {
            case "DirectoryOrCreate":
                if (!Directory.Exists(path))
                {
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                }

                break;
            case "Directory":
                if (!Directory.Exists(path))
                {
                    throw new VolumeException($"hostPath type check failed: {path} is not a directory");
                }

                break;
            case "FileOrCreate":
                if (!File.Exists(path))
                {
                    using (File.Create(path))
                    {
                    }

                    File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
                }

                break;
            case "File":
                if (!File.Exists(path))
                {
                    throw new VolumeException($"hostPath type check failed: {path} is not a file");
                }

                break;
            case "":
                if (!Path.Exists(path))
                {
                    // Unchecked hostPath: upstream lets the runtime create the directory.
                    Directory.CreateDirectory(path);
                }

                break;
            default:
                if (!Path.Exists(path))
                {
                    throw new VolumeException($"hostPath type check failed: {path} does not exist");
                }

                break;
        }

        return path;
    }

    /// <summary>The files of a configMap, secret, downwardAPI or projected volume; null for other kinds.</summary>
    private Dictionary<string, VolumeFile>? Payload(V1Pod pod, V1Volume volume)
    {
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        if (volume.ConfigMap is { } cm)
        {
            AddConfigMap(ns, cm.Name, cm.Items, cm.DefaultMode ?? DefaultMode, cm.Optional == true, payload);
            return payload;
        }

        if (volume.Secret is { } secret)
        {
            AddSecret(ns, secret.SecretName, secret.Items, secret.DefaultMode ?? DefaultMode, secret.Optional == true, payload);
            return payload;
        }

        if (volume.DownwardAPI is { } downward)
        {
            AddDownwardApi(pod, downward.Items, downward.DefaultMode ?? DefaultMode, payload);
            return payload;
        }

        if (volume.Projected is { } projected)
        {
            var mode = projected.DefaultMode ?? DefaultMode;
            foreach (var source in projected.Sources ?? [])
            {
                if (source.ConfigMap is { } pcm)
                {
                    AddConfigMap(ns, pcm.Name, pcm.Items, mode, pcm.Optional == true, payload);
                }
                else if (source.Secret is { } ps)
                {
                    AddSecret(ns, ps.Name, ps.Items, mode, ps.Optional == true, payload);
                }
                else if (source.DownwardAPI is { } pd)
                {
                    AddDownwardApi(pod, pd.Items, mode, payload);
                }

                // serviceAccountToken and clusterTrustBundle have nothing to draw on: Berth issues no tokens.
            }

            return payload;
        }

        return null;
    }

    private void AddConfigMap(string ns, string name, IList<V1KeyToPath>? items, int mode, bool optional, Dictionary<string, VolumeFile> payload)
    {
        var map = cache.ConfigMap(ns, name);
        if (map is null)
        {
            if (optional)
            {
                return;
            }

            throw new VolumeException($"configmap \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Data ?? new Dictionary<string, string>())
        {
            data[k] = Encoding.UTF8.GetBytes(v);
        }

        foreach (var (k, v) in map.BinaryData ?? new Dictionary<string, byte[]>())
        {
            data[k] = v;
        }

        AddItems(data, items, mode, optional, "configmap references non-existent config key", payload);
    }

    private void AddSecret(string ns, string name, IList<V1KeyToPath>? items, int mode, bool optional, Dictionary<string, VolumeFile> payload)
    {
        var secret = cache.Secret(ns, name);
        if (secret is null)
        {
            if (optional)
            {
                return;
            }

            throw new VolumeException($"secret \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            data[k] = v;
        }

        foreach (var (k, v) in secret.StringData ?? new Dictionary<string, string>())
        {
            data[k] = Encoding.UTF8.GetBytes(v);
        }

        AddItems(data, items, mode, optional, "references non-existent secret key", payload);
    }

    private static void AddItems(Dictionary<string, byte[]> data, IList<V1KeyToPath>? items, int mode, bool optional, string missingKey,
        Dictionary<string, VolumeFile> payload)
    {
        if (items is not { Count: > 0 })
        {
            foreach (var (k, v) in data)
            {
                payload[k] = new VolumeFile(v, mode);
            }

            return;
        }

        foreach (var item in items)
        {
            if (!data.TryGetValue(item.Key, out var v))
            {
                if (optional)
                {
                    continue;
                }

                throw new VolumeException($"{missingKey}: {item.Key}");
            }

            payload[item.Path] = new VolumeFile(v, item.Mode ?? mode);
        }
    }

    private static void AddDownwardApi(V1Pod pod, IList<V1DownwardAPIVolumeFile>? items, int mode, Dictionary<string, VolumeFile> payload)
    {
        foreach (var item in items ?? [])
        {
            string value;
            if (item.FieldRef is { } field)
            {
                value = field.FieldPath switch
                {
                    "metadata.labels" => FormatMap(pod.Metadata.Labels),
                    "metadata.annotations" => FormatMap(pod.Metadata.Annotations),
                    var path => EnvironmentBuilder.FieldPath(pod, path, pod.Status?.PodIP)
                        ?? throw new VolumeException($"unsupported fieldPath \"{path}\" in downwardAPI item \"{item.Path}\""),
                };
            }
            else if (item.ResourceFieldRef is { } resource)
            {
                var container = pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? [])
                    .FirstOrDefault(c => c.Name == resource.ContainerName)
                    ?? throw new VolumeException($"downwardAPI item \"{item.Path}\": container \"{resource.ContainerName}\" not found");
                value = EnvironmentBuilder.ResourceField(pod, container, resource);
            }
            else
            {
                continue;
            }

            payload[item.Path] = new VolumeFile(Encoding.UTF8.GetBytes(value), item.Mode ?? mode);
        }
    }

    /// <summary>kubelet's fieldpath.FormatMap: sorted <c>key="value"</c> lines, values quoted like Go's %q.</summary>
    internal static string FormatMap(IDictionary<string, string>? map)
    {
        if (map is null)
        {
            return "";
        }

        return string.Join('\n', map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Quote(kv.Value)}"));
    }

    private static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
