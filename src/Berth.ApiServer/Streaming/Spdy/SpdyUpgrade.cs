using Berth.ApiServer.Http;
using Berth.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// The <c>Upgrade: SPDY/3.1</c> handshake (upstream httpstream.Handshake and spdy.ResponseUpgrader): the client lists
/// the sub-protocols it speaks in <c>X-Stream-Protocol-Version</c> headers, most preferred first; the server takes
/// the first one it knows and names it in the 101 reply. Kestrel hands over the raw connection through
/// <see cref="IHttpUpgradeFeature"/>, which exists on HTTP/1.1 only; kubectl's SPDY dialer offers only HTTP/1.1 in
/// ALPN, and the server's TLS endpoint accepts it (Http1AndHttp2).
/// </summary>
internal static class SpdyUpgrade
{
    public const string ProtocolVersionHeader = "X-Stream-Protocol-Version";
    public const string AcceptedProtocolVersionsHeader = "X-Accepted-Stream-Protocol-Versions";
    public const string Spdy31 = "SPDY/3.1";

    /// <summary>
    /// The negotiated sub-protocol; a 400 Status when the request cannot be upgraded. With no common protocol the
    /// 403 (and the X-Accepted-Stream-Protocol-Versions headers a client may retry with) is written here and the
    /// result is null.
    /// </summary>
    public static async Task<string?> NegotiateAsync(HttpContext context, IReadOnlyList<string> serverProtocols)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var requested = context.Request.Headers.Upgrade.ToString();
        if (upgrade is not { IsUpgradableRequest: true } || !requested.Contains(Spdy31, StringComparison.OrdinalIgnoreCase))
        {
            // upstream UpgradeAwareHandler with UpgradeRequired.
            throw Errors.BadRequest("Upgrade request required");
        }

        var clientProtocols = context.Request.Headers[ProtocolVersionHeader]
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        if (clientProtocols.Count == 0)
        {
            throw Errors.BadRequest($"unable to upgrade: {ProtocolVersionHeader} is required");
        }

        foreach (var protocol in clientProtocols)
        {
            if (serverProtocols.Contains(protocol))
            {
                return protocol;
            }
        }

        foreach (var protocol in serverProtocols)
        {
            context.Response.Headers.Append(AcceptedProtocolVersionsHeader, protocol);
        }

        await HttpResponses.WriteStatusAsync(context, Status.Failure(403, "Forbidden",
            $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', clientProtocols)}], "
            + $"server accepts [{string.Join(' ', serverProtocols)}]")).ConfigureAwait(false);
        return null;
    }

    /// <summary>Sends the 101 and starts a SPDY session on the raw connection.</summary>
    public static async Task<SpdyConnection> AcceptAsync(HttpContext context, string protocol, ILogger? logger,
        Func<SpdyHeaders, string?>? accept = null)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>() ?? throw Errors.BadRequest("Upgrade request required");
        context.Response.Headers[ProtocolVersionHeader] = protocol;
        context.Response.Headers.Upgrade = Spdy31;
        var transport = await upgrade.UpgradeAsync().ConfigureAwait(false);
        var connection = new SpdyConnection(transport, logger, accept);
        connection.Start();
        return connection;
    }
}
