using Berth.ApiServer.Http;
using Berth.ApiServer.Streaming.Spdy;
using Berth.Core.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// GET/POST pods/{name}/exec and pods/{name}/attach: upstream's ExecREST/AttachREST plus the kubelet's
/// remotecommand server. The PodExecOptions query is checked as the kubelet does, then the protocol is
/// negotiated as upstream does: a WebSocket (v5.channel.k8s.io from kubectl 1.30+, v4.channel.k8s.io from other
/// clients) or an <c>Upgrade: SPDY/3.1</c> with <c>X-Stream-Protocol-Version</c> (kubectl 1.27-1.29, and the
/// fallback of newer ones).
/// </summary>
internal static class PodExecHandler
{
    public static async Task ServeAsync(HttpContext context, IPodStreamingBackend backend, string ns, string name, PodFacts pod, bool attach,
        ILogger? logger)
    {
        var query = context.Request.Query;
        var container = pod.ResolveContainer(StreamingQuery.String(query, "container"));
        if (pod.NodeName.Length == 0)
        {
            // upstream streamLocation
            throw Errors.BadRequest($"pod {name} does not have a host assigned");
        }

        var request = ParseOptions(query, ns, name, container, attach);

        if (context.WebSockets.IsWebSocketRequest)
        {
            var protocol = RemoteCommandProtocols.NegotiateWebSocket(context.WebSockets.WebSocketRequestedProtocols);
            await WebSocketExecSession.RunAsync(context, protocol, backend, request, attach, logger).ConfigureAwait(false);
            return;
        }

        if (await SpdyUpgrade.NegotiateAsync(context, RemoteCommandProtocols.Spdy).ConfigureAwait(false) is not { } spdyProtocol)
        {
            return;
        }

        await using var connection = await SpdyUpgrade.AcceptAsync(context, spdyProtocol, logger).ConfigureAwait(false);
        await SpdyExecSession.RunAsync(connection, spdyProtocol, backend, request, attach, logger, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// PodExecOptions/PodAttachOptions from the query as the kubelet reads them (remotecommand.NewOptions): a TTY
    /// carries no separate stderr, and at least one stream is needed.
    /// </summary>
    internal static PodExecRequest ParseOptions(IQueryCollection query, string ns, string name, string container, bool attach)
    {
        var tty = StreamingQuery.Bool(query, "tty");
        var stdin = StreamingQuery.Bool(query, "stdin");
        var stdout = StreamingQuery.Bool(query, "stdout");
        // upstream: "Access to exec with tty and stderr is not supported, bypassing stderr".
        var stderr = StreamingQuery.Bool(query, "stderr") && !tty;
        if (!stdin && !stdout && !stderr)
        {
            throw Errors.BadRequest("you must specify at least 1 of stdin, stdout, stderr");
        }

        IReadOnlyList<string> command = [];
        if (!attach)
        {
            command = query.TryGetValue("command", out var values) ? [.. values.Select(v => v ?? "")] : [];
            if (command.Count == 0)
            {
                // An empty command means attach to the backend, so exec must not reach it without one (kubectl's own
                // message for `kubectl exec pod` without a command).
                throw Errors.BadRequest("you must specify at least one command for the container");
            }
        }

        return new PodExecRequest(ns, name, container, command)
        {
            Stdin = stdin,
            Stdout = stdout,
            Stderr = stderr,
            Tty = tty,
        };
    }
}
