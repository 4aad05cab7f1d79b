using Berth.Core;

namespace Berth.Controllers.Client;

/// <summary>Maps a KubernetesClient model type to its served resource (ResourceCatalog is the single source).</summary>
public static class ResourceOf<T>
{
    public static ResourceDescriptor Descriptor { get; } =
        ResourceCatalog.All.FirstOrDefault(r => r.ModelType == typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not a served resource");
}
