using System.Text.Json.Nodes;
using Berth.ApiServer.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>What the streaming subresources need from a stored pod: its containers, node and annotations.</summary>
internal sealed class PodFacts
{
    public const string DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container";

    public PodFacts(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        Name = (string?)pod["metadata"]?["name"] ?? "";
        Uid = (string?)pod["metadata"]?["uid"] ?? "";
        NodeName = spec?["nodeName"]?.GetValue<string>() ?? "";
        Containers = Names(spec?["containers"]);
        InitContainers = Names(spec?["initContainers"]);
        EphemeralContainers = Names(spec?["ephemeralContainers"]);
        DefaultContainer = pod["metadata"]?["annotations"]?[DefaultContainerAnnotation] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : null;
    }

    public string Name { get; }

    public string Uid { get; }

    public string NodeName { get; }

    public IReadOnlyList<string> Containers { get; }

    public IReadOnlyList<string> InitContainers { get; }

    public IReadOnlyList<string> EphemeralContainers { get; }

    public string? DefaultContainer { get; }

    /// <summary>
    /// upstream's validateContainer and streamLocation (pod/strategy.go): a named container must exist among the init,
    /// regular and ephemeral containers; an unnamed one defaults to the only container. Berth also honours the
    /// kubectl.kubernetes.io/default-container annotation here (kubectl applies it client side; other clients get
    /// the same default), before upstream's 400 listing the choices: for logs every container, init ones first; for
    /// exec, attach and port-forward the containers, then the init containers separately.
    /// </summary>
    public string ResolveContainer(string? requested, bool forLogs = false)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            if (!Containers.Contains(requested) && !InitContainers.Contains(requested) && !EphemeralContainers.Contains(requested))
            {
                throw Errors.BadRequest($"container {requested} is not valid for pod {Name}");
            }

            return requested;
        }

        switch (Containers.Count)
        {
            case 1:
                return Containers[0];
            case 0:
                throw Errors.BadRequest($"a container name must be specified for pod {Name}");
            default:
                if (DefaultContainer is { Length: > 0 } annotated && Containers.Contains(annotated))
                {
                    return annotated;
                }

                if (forLogs)
                {
                    throw Errors.BadRequest($"a container name must be specified for pod {Name}, choose one of: "
                        + $"[{string.Join(' ', InitContainers.Concat(Containers).Concat(EphemeralContainers))}]");
                }

                var message = $"a container name must be specified for pod {Name}, choose one of: [{string.Join(' ', Containers)}]";
                if (InitContainers.Count > 0)
                {
                    message += $" or one of the init containers: [{string.Join(' ', InitContainers)}]";
                }

                throw Errors.BadRequest(message);
        }
    }

    private static string[] Names(JsonNode? list) =>
        list is JsonArray array
            ? [.. array.Select(c => (string?)c?["name"]).Where(n => !string.IsNullOrEmpty(n)).Select(n => n!)]
            : [];
}
