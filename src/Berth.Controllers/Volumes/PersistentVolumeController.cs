using Berth.Controllers.Client;
using Berth.Controllers.Events;
using Berth.Controllers.Runtime;
using Berth.Controllers.Scheduling;
using k8s.Models;

namespace Berth.Controllers.Volumes;

/// <summary>
/// The PV binder plus the local-path provisioner (pkg/controller/volume/persistentvolume, and the external
/// provisioner pattern): a claim of a <c>berth.dev/local-path</c> class is provisioned once the scheduler selected
/// a node (WaitForFirstConsumer) as a PV <c>pvc-&lt;claim uid&gt;</c> backed by DATA/volumes/&lt;pv&gt;, with node
/// affinity to the node, then both are Bound. When the claim goes, the PV is Released; reclaimPolicy Delete
/// removes the directory and the PV, Retain keeps both. A claim naming a missing class stays Pending with a
/// ProvisioningFailed event (<c>storageclass.storage.k8s.io "fast-ssd" not found</c>).
/// </summary>
internal sealed class PersistentVolumeController : IDisposable
{
    public const string ProvisionedByAnnotation = "pv.kubernetes.io/provisioned-by";
    public const string BindCompletedAnnotation = "pv.kubernetes.io/bind-completed";
    public const string BoundByControllerAnnotation = "pv.kubernetes.io/bound-by-controller";
    public const string StorageProvisionerAnnotation = "volume.kubernetes.io/storage-provisioner";

    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly Informer<V1StorageClass> _classes;
    private readonly WorkQueue _claimQueue;
    private readonly WorkQueue _volumeQueue;
    private readonly EventRecorder _recorder;
    private readonly string? _volumesDir;
    private readonly string _nodeName;

    /// <param name="dataDir">Berth's data dir; volumes live in DATA/volumes. Null keeps volumes off disk (tests only).</param>
    public PersistentVolumeController(InformerFactory informers, EventRecorder recorder, string? dataDir, string nodeName)
    {
        _client = informers.Client;
        _time = informers.Time;
        _recorder = recorder;
        _nodeName = nodeName;
        _volumesDir = dataDir is null ? null : Path.Combine(dataDir, "volumes");
        _claims = informers.For<V1PersistentVolumeClaim>();
        _volumes = informers.For<V1PersistentVolume>();
        _classes = informers.For<V1StorageClass>();
        _volumes.AddIndexer(IndexNames.ClaimName, v => [v.Spec?.ClaimRef is { } r ? r.NamespaceProperty + "/" + r.Name : string.Empty]);
        _claimQueue = new WorkQueue(_time);
        _volumeQueue = new WorkQueue(_time);
        _claims.AddHandler(new InformerHandler<V1PersistentVolumeClaim>(EnqueueClaim, (_, c) => EnqueueClaim(c), OnClaimDeleted));
        _volumes.AddHandler(new InformerHandler<V1PersistentVolume>(EnqueueVolume, (_, v) => EnqueueVolume(v), null));
        _classes.AddHandler(new InformerHandler<V1StorageClass>(_ => EnqueueAllClaims(), (_, _) => EnqueueAllClaims(), null));
    }

    public string? VolumesDirectory => _volumesDir;

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        _claimQueue.RunWorkersAsync(2, SyncClaimAsync, cancellationToken),
        _volumeQueue.RunWorkersAsync(1, SyncVolumeAsync, cancellationToken));

    public void Dispose()
    {
        _claimQueue.Dispose();
        _volumeQueue.Dispose();
    }

    private void EnqueueClaim(V1PersistentVolumeClaim claim) => _claimQueue.Add(ObjectKeys.Of(claim));

    private void EnqueueVolume(V1PersistentVolume volume) => _volumeQueue.Add(volume.Metadata.Name);

    private void EnqueueAllClaims()
    {
        foreach (var c in _claims.List())
        {
            EnqueueClaim(c);
        }
    }

    private void OnClaimDeleted(V1PersistentVolumeClaim claim)
    {
        if (!string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            _volumeQueue.Add(claim.Spec.VolumeName);
        }

        foreach (var v in _volumes.ByIndex(IndexNames.ClaimName, ObjectKeys.Of(claim)).Where(v => v.Spec?.ClaimRef?.Uid == claim.Metadata.Uid))
        {
            EnqueueVolume(v);
        }
    }

    private async Task SyncClaimAsync(string key, CancellationToken ct)
    {
        var claim = _claims.GetByKey(key);
        if (claim is null || claim.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        if (!string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            var bound = _volumes.Get(null, claim.Spec.VolumeName);
            if (bound is not null && bound.Spec.ClaimRef?.Uid == claim.Metadata.Uid)
            {
                await MarkBoundAsync(claim, bound, ct).ConfigureAwait(false);
            }

            return;
        }

        var className = claim.Spec?.StorageClassName ?? DefaultClassName();
        if (string.IsNullOrEmpty(className))
        {
            _recorder.Event(claim, EventRecorder.Normal, "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
            return;
        }

        // A pre-existing Available volume of the class that fits (or is pre-bound to this claim) wins over provisioning.
        var match = _volumes.ByIndex(IndexNames.ClaimName, key).Concat(_volumes.ByIndex(IndexNames.ClaimName, string.Empty))
            .FirstOrDefault(v => Fits(v, claim, className));
        if (match is not null)
        {
            await BindAsync(claim, match, ct).ConfigureAwait(false);
            return;
        }

        var storageClass = _classes.Get(null, className);
        if (storageClass is null)
        {
            _recorder.Event(claim, EventRecorder.Warning, "ProvisioningFailed", $"storageclass.storage.k8s.io \"{className}\" not found");
            return;
        }

        if (storageClass.Provisioner != StorageClasses.LocalPathProvisioner)
        {
            _recorder.Event(claim, EventRecorder.Normal, "ExternalProvisioning",
                $"Waiting for a volume to be created either by the external provisioner '{storageClass.Provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
            return;
        }

        var selectedNode = claim.Metadata.Annotation(Scheduler.SelectedNodeAnnotation);
        if (storageClass.VolumeBindingMode == "WaitForFirstConsumer" && selectedNode is null)
        {
            _recorder.Event(claim, EventRecorder.Normal, "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
            return;
        }

        var volume = await ProvisionAsync(claim, storageClass, selectedNode ?? _nodeName, ct).ConfigureAwait(false);
        await BindAsync(claim, volume, ct).ConfigureAwait(false);
    }

    private async Task<V1PersistentVolume> ProvisionAsync(V1PersistentVolumeClaim claim, V1StorageClass storageClass, string node, CancellationToken ct)
    {
        var name = "pvc-" + claim.Metadata.Uid;
        var path = _volumesDir is null ? "/berth-volumes/" + name : Path.Combine(_volumesDir, name);
        if (_volumesDir is not null)
        {
            Directory.CreateDirectory(path);
        }

        var request = claim.Spec?.Resources?.Requests?.TryGetValue("storage", out var q) == true ? q : new ResourceQuantity("1Gi");
        var volume = new V1PersistentVolume
        {
            ApiVersion = "v1",
            Kind = "PersistentVolume",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Annotations = new Dictionary<string, string> { [ProvisionedByAnnotation] = storageClass.Provisioner },
                Finalizers = ["kubernetes.io/pv-protection"],
            },
            Spec = new V1PersistentVolumeSpec
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = request },
                AccessModes = claim.Spec?.AccessModes is { Count: > 0 } modes ? [.. modes] : ["ReadWriteOnce"],
                PersistentVolumeReclaimPolicy = storageClass.ReclaimPolicy ?? "Delete",
                StorageClassName = storageClass.Metadata.Name,
                VolumeMode = claim.Spec?.VolumeMode ?? "Filesystem",
                Local = new V1LocalVolumeSource { Path = path },
                ClaimRef = ClaimRef(claim),
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms =
                        [
                            new V1NodeSelectorTerm
                            {
                                MatchExpressions = [new V1NodeSelectorRequirement { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = [node] }],
                            },
                        ],
                    },
                },
            },
        };
        try
        {
            var created = await _client.CreateAsync(volume, ct).ConfigureAwait(false);
            _recorder.Event(claim, EventRecorder.Normal, "ProvisioningSucceeded", $"Successfully provisioned volume {name}");
            return created;
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            return await _client.GetAsync<V1PersistentVolume>(null, name, ct).ConfigureAwait(false)
                ?? throw new ApiException(500, "InternalError", $"persistentvolume {name} vanished while provisioning");
        }
    }

    private async Task BindAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CancellationToken ct)
    {
        if (volume.Spec.ClaimRef?.Uid != claim.Metadata.Uid)
        {
            var v = ModelCopy.Clone(volume);
            v.Spec.ClaimRef = ClaimRef(claim);
            volume = await _client.UpdateAsync(v, ct).ConfigureAwait(false);
        }

        if (volume.Status?.Phase != "Bound")
        {
            var v = ModelCopy.Clone(volume);
            v.Status = new V1PersistentVolumeStatus { Phase = "Bound", LastPhaseTransitionTime = _time.GetUtcNow().UtcDateTime };
            volume = await _client.UpdateStatusAsync(v, ct).ConfigureAwait(false);
        }

        var c = ModelCopy.Clone(claim);
        c.Spec.VolumeName = volume.Metadata.Name;
        c.Spec.StorageClassName ??= volume.Spec.StorageClassName;
        c.Metadata.Annotations ??= new Dictionary<string, string>();
        c.Metadata.Annotations[BindCompletedAnnotation] = "yes";
        c.Metadata.Annotations[BoundByControllerAnnotation] = "yes";
        if (volume.Metadata.Annotation(ProvisionedByAnnotation) is { } provisioner)
        {
            c.Metadata.Annotations[StorageProvisionerAnnotation] = provisioner;
        }

        var updated = await _client.UpdateAsync(c, ct).ConfigureAwait(false);
        await MarkBoundAsync(updated, volume, ct).ConfigureAwait(false);
    }

    private async Task MarkBoundAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CancellationToken ct)
    {
        if (claim.Status?.Phase == "Bound")
        {
            return;
        }

        var c = ModelCopy.Clone(claim);
        c.Status = new V1PersistentVolumeClaimStatus
        {
            Phase = "Bound",
            AccessModes = volume.Spec.AccessModes,
            Capacity = volume.Spec.Capacity,
        };
        await _client.UpdateStatusAsync(c, ct).ConfigureAwait(false);
    }

    private async Task SyncVolumeAsync(string name, CancellationToken ct)
    {
        var volume = _volumes.Get(null, name);
        if (volume is null)
        {
            return;
        }

        if (volume.Metadata.DeletionTimestamp is not null)
        {
            // pv-protection: release the finalizer once no claim is bound to it.
            if (volume.Status?.Phase != "Bound")
            {
                await RemoveProtectionAsync(volume, ct).ConfigureAwait(false);
            }

            return;
        }

        var claimRef = volume.Spec?.ClaimRef;
        if (claimRef is null)
        {
            if (volume.Status?.Phase is null or "Pending")
            {
                await SetPhaseAsync(volume, "Available", ct).ConfigureAwait(false);
            }

            return;
        }

        var claim = _claims.Get(claimRef.NamespaceProperty, claimRef.Name);
        if (claim is not null && claim.Metadata.Uid == claimRef.Uid)
        {
            if (volume.Status?.Phase != "Bound" && claim.Spec?.VolumeName == volume.Metadata.Name)
            {
                await SetPhaseAsync(volume, "Bound", ct).ConfigureAwait(false);
            }

            return;
        }

        if (claim is null)
        {
            // The cache may lag the claim's creation; only a live read proves the claim is gone.
            var live = await _client.GetAsync<V1PersistentVolumeClaim>(claimRef.NamespaceProperty, claimRef.Name, ct).ConfigureAwait(false);
            if (live is not null && live.Metadata.Uid == claimRef.Uid)
            {
                return;
            }
        }

        if (volume.Status?.Phase != "Released" && volume.Status?.Phase != "Failed")
        {
            volume = await SetPhaseAsync(volume, "Released", ct).ConfigureAwait(false);
        }

        if (volume.Spec?.PersistentVolumeReclaimPolicy == "Delete")
        {
            DeleteDirectory(volume);
            try
            {
                await _client.DeleteAsync<V1PersistentVolume>(null, volume.Metadata.Name, null, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                // Gone already.
            }
        }
    }

    private void DeleteDirectory(V1PersistentVolume volume)
    {
        // Only ever remove what we provisioned, inside DATA/volumes.
        if (_volumesDir is null || volume.Spec.Local?.Path is not { } path || volume.Metadata.Annotation(ProvisionedByAnnotation) != StorageClasses.LocalPathProvisioner)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        var root = Path.GetFullPath(_volumesDir) + Path.DirectorySeparatorChar;
        if (full.StartsWith(root, StringComparison.Ordinal) && Directory.Exists(full))
        {
            Directory.Delete(full, recursive: true);
        }
    }

    private async Task RemoveProtectionAsync(V1PersistentVolume volume, CancellationToken ct)
    {
        if (volume.Metadata.Finalizers?.Contains("kubernetes.io/pv-protection") != true)
        {
            return;
        }

        var v = ModelCopy.Clone(volume);
        v.Metadata.Finalizers = [.. v.Metadata.Finalizers!.Where(f => f != "kubernetes.io/pv-protection")];
        try
        {
            await _client.UpdateAsync(v, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            // Gone already.
        }
    }

    private async Task<V1PersistentVolume> SetPhaseAsync(V1PersistentVolume volume, string phase, CancellationToken ct)
    {
        var v = ModelCopy.Clone(volume);
        v.Status = new V1PersistentVolumeStatus { Phase = phase, LastPhaseTransitionTime = _time.GetUtcNow().UtcDateTime };
        return await _client.UpdateStatusAsync(v, ct).ConfigureAwait(false);
    }

    private bool Fits(V1PersistentVolume v, V1PersistentVolumeClaim claim, string className)
    {
        if (v.Metadata.DeletionTimestamp is not null || v.Spec is null)
        {
            return false;
        }

        if (v.Spec.ClaimRef is { } r)
        {
            // Pre-bound to this claim (by name, and uid when set).
            return r.NamespaceProperty == claim.Metadata.NamespaceProperty && r.Name == claim.Metadata.Name
                && (string.IsNullOrEmpty(r.Uid) || r.Uid == claim.Metadata.Uid);
        }

        if (v.Status?.Phase != "Available" || (v.Spec.StorageClassName ?? string.Empty) != className)
        {
            return false;
        }

        var want = claim.Spec?.AccessModes ?? [];
        var have = v.Spec.AccessModes ?? [];
        if (!want.All(have.Contains))
        {
            return false;
        }

        var request = claim.Spec?.Resources?.Requests?.TryGetValue("storage", out var q) == true ? q.ToDecimal() : 0;
        var capacity = v.Spec.Capacity?.TryGetValue("storage", out var c) == true ? c.ToDecimal() : 0;
        return capacity >= request && _nodeName.Length > 0;
    }

    private string? DefaultClassName() =>
        _classes.List().FirstOrDefault(c => c.Metadata.Annotation(StorageClasses.IsDefaultClassAnnotation) == "true")?.Metadata.Name;

    private static V1ObjectReference ClaimRef(V1PersistentVolumeClaim claim) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Name = claim.Metadata.Name,
        NamespaceProperty = claim.Metadata.NamespaceProperty,
        Uid = claim.Metadata.Uid,
        ResourceVersion = claim.Metadata.ResourceVersion,
    };
}
