using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>The WebSocket upgrade every pod streaming session (exec, attach, port-forward) answers with.</summary>
internal static class StreamingWebSockets
{
    /// <summary>
    /// Accepts the upgrade with <paramref name="subProtocol"/> (null: none, or one the handler set by hand) and a
    /// keep-alive ping, so that an idle session (a shell waiting for input, a quiet forwarded port) is not dropped by
    /// whatever sits between kubectl and the server.
    /// </summary>
    public static Task<WebSocket> AcceptAsync(HttpContext context, string? subProtocol) =>
        context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subProtocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });
}
