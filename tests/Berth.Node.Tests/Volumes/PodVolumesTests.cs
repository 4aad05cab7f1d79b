using Berth.Node.Volumes;
using k8s.Models;

namespace Berth.Node.Tests.Volumes;

public sealed class PodVolumesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("berth-podvolumes-").FullName;
    private readonly FakeCache _cache = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private PodVolumes Volumes() => new(_cache, _root, TimeProvider.System);

    private static V1Pod Pod(params V1Volume[] volumes) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web-0",
            NamespaceProperty = "shop",
            Uid = Guid.NewGuid().ToString(),
            Labels = new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front \"end\"" },
        },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = "busybox", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } } }],
            Volumes = [.. volumes],
        },
    };

    [Fact]
    public void A_configMap_volume_renders_its_keys_or_its_items_with_their_modes()
    {
        _cache.ConfigMaps["shop/settings"] = new V1ConfigMap { Data = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        var pod = Pod(
            new V1Volume { Name = "all", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings" } },
            new V1Volume
            {
                Name = "some",
                ConfigMap = new V1ConfigMapVolumeSource { Name = "settings", DefaultMode = 0b111_000_000, Items = [new V1KeyToPath { Key = "b", Path = "nested/b.txt" }] },
            });

        var (sources, problems) = Volumes().Resolve(pod);

        Assert.Empty(problems);
        Assert.Equal("1", File.ReadAllText(Path.Combine(sources!["all"], "a")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(sources["all"], "b")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(sources["some"], "nested", "b.txt")));
        Assert.False(File.Exists(Path.Combine(sources["some"], "a")));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Path.Combine(sources["some"], "..data", "nested", "b.txt")));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(sources["all"], "..data", "a")));
    }

    [Fact]
    public void A_missing_ConfigMap_or_key_keeps_the_pod_waiting_unless_optional_and_nothing_is_rendered()
    {
        var pod = Pod(
            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "missing" } },
            new V1Volume { Name = "maybe", ConfigMap = new V1ConfigMapVolumeSource { Name = "missing-too", Optional = true } });
        _cache.Secrets["shop/creds"] = new V1Secret { Data = new Dictionary<string, byte[]> { ["user"] = "u"u8.ToArray() } };
        var withKey = Pod(new V1Volume
        {
            Name = "creds",
            Secret = new V1SecretVolumeSource { SecretName = "creds", Items = [new V1KeyToPath { Key = "password", Path = "pw" }] },
        });

        var (sources, problems) = Volumes().Resolve(pod);
        var (keySources, keyProblems) = Volumes().Resolve(withKey);

        Assert.Null(sources);
        Assert.Equal([new VolumeProblem("config", "configmap \"missing\" not found")], problems);
        Assert.Null(keySources);
        Assert.Equal([new VolumeProblem("creds", "references non-existent secret key: password")], keyProblems);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public void Secrets_render_their_bytes_and_stringData()
    {
        _cache.Secrets["shop/creds"] = new V1Secret
        {
            Data = new Dictionary<string, byte[]> { ["user"] = "admin"u8.ToArray() },
            StringData = new Dictionary<string, string> { ["password"] = "s3cret" },
        };
        var (sources, _) = Volumes().Resolve(Pod(new V1Volume { Name = "creds", Secret = new V1SecretVolumeSource { SecretName = "creds" } }));

        Assert.Equal("admin", File.ReadAllText(Path.Combine(sources!["creds"], "user")));
        Assert.Equal("s3cret", File.ReadAllText(Path.Combine(sources["creds"], "password")));
    }

    [Fact]
    public void DownwardAPI_and_projected_volumes_render_pod_fields_in_kubelets_format()
    {
        _cache.ConfigMaps["shop/settings"] = new V1ConfigMap { Data = new Dictionary<string, string> { ["a"] = "1" } };
        var pod = Pod(new V1Volume
        {
            Name = "info",
            Projected = new V1ProjectedVolumeSource
            {
                Sources =
                [
                    new V1VolumeProjection
                    {
                        DownwardAPI = new V1DownwardAPIProjection
                        {
                            Items =
                            [
                                new V1DownwardAPIVolumeFile { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } },
                                new V1DownwardAPIVolumeFile { Path = "name", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
                                new V1DownwardAPIVolumeFile
                                {
                                    Path = "mem",
                                    ResourceFieldRef = new V1ResourceFieldSelector { ContainerName = "main", Resource = "limits.memory", Divisor = new ResourceQuantity("1Mi") },
                                },
                            ],
                        },
                    },
                    new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "settings" } },
                ],
            },
        });

        var (sources, problems) = Volumes().Resolve(pod);

        Assert.Empty(problems);
        var dir = sources!["info"];
        Assert.Equal("app=\"web\"\ntier=\"front \\\"end\\\"\"", File.ReadAllText(Path.Combine(dir, "labels")));
        Assert.Equal("web-0", File.ReadAllText(Path.Combine(dir, "name")));
        Assert.Equal("64", File.ReadAllText(Path.Combine(dir, "mem")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(dir, "a")));
    }

    [Fact]
    public void A_claim_resolves_to_its_bound_volumes_directory_and_an_unbound_claim_waits()
    {
        var pvDir = Directory.CreateDirectory(Path.Combine(_root, "pv")).FullName;
        _cache.Claims["shop/data"] = new V1PersistentVolumeClaim { Spec = new V1PersistentVolumeClaimSpec { VolumeName = "pvc-1" }, Status = new V1PersistentVolumeClaimStatus { Phase = "Bound" } };
        _cache.Claims["shop/pending"] = new V1PersistentVolumeClaim { Spec = new V1PersistentVolumeClaimSpec(), Status = new V1PersistentVolumeClaimStatus { Phase = "Pending" } };
        _cache.Volumes["pvc-1"] = new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pvc-1" },
            Spec = new V1PersistentVolumeSpec { Local = new V1LocalVolumeSource { Path = pvDir } },
        };

        var (bound, _) = Volumes().Resolve(Pod(new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } }));
        var (_, waiting) = Volumes().Resolve(Pod(new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "pending" } }));
        var (_, missing) = Volumes().Resolve(Pod(new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "nope" } }));

        Assert.Equal(pvDir, bound!["data"]);
        Assert.Equal("error processing PVC shop/pending: PVC is not bound", Assert.Single(waiting).Message);
        Assert.Equal("persistentvolumeclaim \"nope\" not found", Assert.Single(missing).Message);
    }

    [Fact]
    public void Refresh_follows_a_changed_ConfigMap_and_keeps_the_last_content_when_it_vanishes()
    {
        _cache.ConfigMaps["shop/settings"] = new V1ConfigMap { Data = new Dictionary<string, string> { ["a"] = "1" } };
        var volumes = Volumes();
        var pod = Pod(new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings" } });
        var dir = volumes.Resolve(pod).Sources!["config"];

        _cache.ConfigMaps["shop/settings"] = new V1ConfigMap { Data = new Dictionary<string, string> { ["a"] = "2" } };
        volumes.Refresh(pod);
        var updated = File.ReadAllText(Path.Combine(dir, "a"));
        _cache.ConfigMaps.Remove("shop/settings");
        volumes.Refresh(pod);

        Assert.Equal("2", updated);
        Assert.Equal("2", File.ReadAllText(Path.Combine(dir, "a")));
        volumes.Remove(pod.Metadata.Uid);
        Assert.False(Directory.Exists(Path.GetDirectoryName(dir)));
    }

    [Fact]
    public void Unsupported_volume_kinds_are_named_in_the_problem()
    {
        var (_, problems) = Volumes().Resolve(Pod(new V1Volume { Name = "nfs", Nfs = new V1NFSVolumeSource { Server = "x", Path = "/" } }));

        Assert.StartsWith("nfs volumes are not supported by Berth's node", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    private sealed class FakeCache : IObjectCache
    {
        public Dictionary<string, V1Secret> Secrets { get; } = [];

        public Dictionary<string, V1ConfigMap> ConfigMaps { get; } = [];

        public Dictionary<string, V1PersistentVolumeClaim> Claims { get; } = [];

        public Dictionary<string, V1PersistentVolume> Volumes { get; } = [];

        public V1Secret? Secret(string @namespace, string name) => Secrets.GetValueOrDefault($"{@namespace}/{name}");

        public V1ConfigMap? ConfigMap(string @namespace, string name) => ConfigMaps.GetValueOrDefault($"{@namespace}/{name}");

        public V1PersistentVolumeClaim? Claim(string @namespace, string name) => Claims.GetValueOrDefault($"{@namespace}/{name}");

        public V1PersistentVolume? PersistentVolume(string name) => Volumes.GetValueOrDefault(name);
    }
}
