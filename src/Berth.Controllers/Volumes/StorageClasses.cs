using Berth.Controllers.Client;
using k8s.Models;

namespace Berth.Controllers.Volumes;

/// <summary>The default StorageClass Berth creates at startup, served by the local-path provisioner.</summary>
public static class StorageClasses
{
    public const string IsDefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";
    public const string LocalPathProvisioner = "berth.dev/local-path";
    public const string DefaultName = "standard";

    public static V1StorageClass Standard() => new()
    {
        ApiVersion = "storage.k8s.io/v1",
        Kind = "StorageClass",
        Metadata = new V1ObjectMeta
        {
            Name = DefaultName,
            Annotations = new Dictionary<string, string> { [IsDefaultClassAnnotation] = "true" },
        },
        Provisioner = LocalPathProvisioner,
        ReclaimPolicy = "Delete",
        VolumeBindingMode = "WaitForFirstConsumer",
        AllowVolumeExpansion = false,
    };

    /// <summary>Creates <c>standard</c> unless it exists (a user's edits to it are kept).</summary>
    public static async Task EnsureDefaultAsync(IApiClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.CreateAsync(Standard(), ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            // Already there from an earlier start.
        }
    }
}
