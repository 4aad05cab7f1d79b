using Berth.ApiServer.Http;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Core.Streaming;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// pods/log, pods/exec, pods/attach and pods/portforward: upstream's LogREST, ExecREST, AttachREST and
/// PortForwardREST, with the kubelet's streaming server folded in. The pod must exist (404), the container is
/// resolved as upstream does (400), then the wire protocol is negotiated here and the node agent's
/// <see cref="IPodStreamingBackend"/> gets plain streams.
/// </summary>
internal sealed class PodStreamingEndpoints
{
    private static readonly ResourceDescriptor Pods = ResourceCatalog.Find("", "v1", "pods")
        ?? throw new InvalidOperationException("the catalog has no pods");

    private readonly ObjectRegistry _registry;
    private readonly PodStreamingSlot _slot;
    private readonly ILogger? _logger;

    public PodStreamingEndpoints(ObjectRegistry registry, PodStreamingSlot slot, ILogger? logger = null)
    {
        _registry = registry;
        _slot = slot;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, string ns, string name, string subresource)
    {
        // Read once: the node agent may swap the backend while this request runs.
        var backend = _slot.Backend ?? throw Errors.ServiceUnavailable("the node agent is not running");
        var kv = await _registry.GetAsync(Pods, ns, name, context.RequestAborted).ConfigureAwait(false);
        var pod = new PodFacts(ObjectRegistry.Parse(kv.Value));
        // Streams live as long as the client wants (a port-forward for hours): on shutdown, end them at once
        // instead of letting the host wait out its shutdown timeout.
        var lifetime = context.RequestServices.GetService<IHostApplicationLifetime>();
        using var stopping = lifetime?.ApplicationStopping.Register(static c => ((HttpContext)c!).Abort(), context);
        switch (subresource)
        {
            case "log":
                await PodLogHandler.ServeAsync(context, backend, ns, name, pod).ConfigureAwait(false);
                break;
            case "exec" or "attach":
                await PodExecHandler.ServeAsync(context, backend, ns, name, pod, attach: subresource == "attach", _logger)
                    .ConfigureAwait(false);
                break;
            default:
                await PodPortForwardHandler.ServeAsync(context, backend, ns, name, pod, _logger).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>A backend refusal as the metav1.Status kubectl prints.</summary>
    internal static Status StatusOf(PodStreamingException e) =>
        Status.Failure(e.StatusCode, e.Reason, e.Message);
}
