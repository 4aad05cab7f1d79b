using Berth.ApiServer.Http;
using Berth.ApiServer.Streaming.Spdy;
using Berth.Core.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// GET/POST pods/{name}/portforward: upstream's PortForwardREST plus the kubelet's port-forward server, over the
/// three transports clients use: a WebSocket tunnelling SPDY (<c>SPDY/3.1+portforward.k8s.io</c>, kubectl 1.31+),
/// <c>Upgrade: SPDY/3.1</c> with <c>portforward.k8s.io</c> (kubectl 1.27-1.30 and the fallback of newer ones), and
/// the kubelet's channel WebSocket (<c>v4.channel.k8s.io</c> with <c>?ports=</c>, used by client libraries). Each
/// forwarded connection is piped to <see cref="IPodStreamingBackend.PortForwardAsync"/>.
/// </summary>
internal static class PodPortForwardHandler
{
    public static async Task ServeAsync(HttpContext context, IPodStreamingBackend backend, string ns, string name, PodFacts pod, ILogger? logger)
    {
        if (pod.NodeName.Length == 0)
        {
            // upstream streamLocation
            throw Errors.BadRequest($"pod {name} does not have a host assigned");
        }

        var target = new PortForwardTarget(backend, ns, name, pod.Uid);
        var aborted = context.RequestAborted;
        if (context.WebSockets.IsWebSocketRequest)
        {
            var requested = context.WebSockets.WebSocketRequestedProtocols;
            if (requested.Contains(PortForwardProtocols.SpdyTunnel))
            {
                // .NET refuses "/" in a sub-protocol token (RFC 6455), so the header is set by hand; the middleware leaves it.
                context.Response.Headers.SecWebSocketProtocol = PortForwardProtocols.SpdyTunnel;
                using var socket = await StreamingWebSockets.AcceptAsync(context, subProtocol: null).ConfigureAwait(false);
                await using var tunnel = new WebSocketTunnelStream(socket);
                await using var tunnelled = new SpdyConnection(tunnel, logger, SpdyPortForwardSession.AcceptStream);
                tunnelled.Start();
                await SpdyPortForwardSession.RunAsync(tunnelled, target, logger, aborted).ConfigureAwait(false);
                return;
            }

            var ports = PortForwardProtocols.ParsePorts(context.Request.Query);
            string? protocol = null;
            if (requested.Count > 0)
            {
                protocol = requested.Contains(PortForwardProtocols.V4Channel)
                    ? PortForwardProtocols.V4Channel
                    : throw Errors.BadRequest($"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', requested)}], "
                        + $"server accepts [{PortForwardProtocols.SpdyTunnel} {PortForwardProtocols.V4Channel}]");
            }

            await WebSocketPortForwardSession.RunAsync(context, protocol, ports, target, logger).ConfigureAwait(false);
            return;
        }

        if (await SpdyUpgrade.NegotiateAsync(context, [PortForwardProtocols.V1]).ConfigureAwait(false) is not { } negotiated)
        {
            return;
        }

        await using var connection = await SpdyUpgrade.AcceptAsync(context, negotiated, logger, SpdyPortForwardSession.AcceptStream)
            .ConfigureAwait(false);
        await SpdyPortForwardSession.RunAsync(connection, target, logger, aborted).ConfigureAwait(false);
    }
}
