using Berth.ApiServer.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>The remotecommand (exec/attach) sub-protocols Berth speaks, newest first, and their negotiation.</summary>
internal static class RemoteCommandProtocols
{
    /// <summary>v4 plus the CLOSE signal (channel 255) that half-closes stdin: kubectl 1.29+ (1.30+ over WebSocket).</summary>
    public const string V5 = "v5.channel.k8s.io";

    /// <summary>The error channel carries a metav1.Status (exit codes); resize on channel 4.</summary>
    public const string V4 = "v4.channel.k8s.io";

    /// <summary>v2 plus the resize stream; errors are plain text.</summary>
    public const string V3 = "v3.channel.k8s.io";

    /// <summary>stdin, stdout, stderr and a plain-text error stream.</summary>
    public const string V2 = "v2.channel.k8s.io";

    /// <summary>What the SPDY server accepts (upstream's kubelet: v5 down to v2; v1's odd stream semantics are not served).</summary>
    public static readonly string[] Spdy = [V5, V4, V3, V2];

    /// <summary>What the WebSocket server accepts: the binary channel protocols with a Status on the error channel.</summary>
    public static readonly string[] WebSocket = [V5, V4];

    /// <summary>The first protocol the client lists that the server speaks, as upstream's negotiation picks it.</summary>
    public static string NegotiateWebSocket(IList<string> requested)
    {
        foreach (var protocol in requested)
        {
            if (WebSocket.Contains(protocol.Trim()))
            {
                return protocol.Trim();
            }
        }

        throw Errors.BadRequest(
            $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', requested)}], server accepts [{string.Join(' ', WebSocket)}]");
    }

    /// <summary>Whether the error stream carries a metav1.Status (v4 and v5) rather than plain text.</summary>
    public static bool StatusOnErrorStream(string protocol) => protocol is V5 or V4;

    /// <summary>Whether the client opens a resize stream for a TTY (v3 and later).</summary>
    public static bool HasResize(string protocol) => protocol is V5 or V4 or V3;
}
