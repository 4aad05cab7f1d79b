using System.Globalization;
using Berth.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>The port-forward sub-protocols and the checks upstream's kubelet applies to them.</summary>
internal static class PortForwardProtocols
{
    /// <summary>SPDY streams in pairs (data, error) per connection, named by port and requestID headers.</summary>
    public const string V1 = "portforward.k8s.io";

    /// <summary>kubectl 1.31+ (PortForwardWebsockets): the same SPDY session, tunnelled in binary WebSocket messages.</summary>
    public const string SpdyTunnel = "SPDY/3.1+portforward.k8s.io";

    /// <summary>The kubelet's WebSocket protocol: channels 2i (data) and 2i+1 (error) for the i-th port of ?ports=.</summary>
    public const string V4Channel = "v4.channel.k8s.io";

    /// <summary>upstream portforward.NewV4Options: the ports of a WebSocket port-forward (ports=80&amp;ports=8080 or 80,8080).</summary>
    public static List<int> ParsePorts(IQueryCollection query)
    {
        if (!query.TryGetValue("ports", out var values) || values.Count == 0)
        {
            throw Errors.BadRequest("query parameter \"port\" is required");
        }

        var ports = new List<int>();
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw Errors.BadRequest("query parameter \"port\" cannot be empty");
            }

            foreach (var part in value.Split(','))
            {
                ports.Add(ParsePort(part, value));
            }
        }

        return ports;
    }

    /// <summary>A port as the kubelet parses it (strconv.ParseUint(p, 10, 16), then &gt; 0).</summary>
    public static int ParsePort(string text, string original)
    {
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw Errors.BadRequest($"unable to parse \"{original}\" as a port: strconv.ParseUint: parsing \"{text}\": invalid syntax");
        }

        return port < 1 ? throw Errors.BadRequest($"port \"{original}\" must be > 0") : port;
    }

    /// <summary>upstream's message on the error stream when forwarding fails.</summary>
    public static string ForwardError(int port, string pod, string uid, string why) =>
        $"error forwarding port {port.ToString(CultureInfo.InvariantCulture)} to pod {pod}, uid {uid}: {why}";
}
