using System.Text;

namespace Berth.Node.Dns;

/// <summary>Domain names as lower-case dotted strings (no trailing dot) and their uncompressed wire form.</summary>
internal static class DnsName
{
    /// <summary>"web-0.nginx" to its wire form (length-prefixed labels, root byte). Labels must already be valid.</summary>
    public static byte[] ToWire(string name)
    {
        var trimmed = name.TrimEnd('.');
        if (trimmed.Length == 0)
        {
            return [0];
        }

        var labels = trimmed.Split('.');
        var bytes = new byte[trimmed.Length + 2];
        var at = 0;
        foreach (var label in labels)
        {
            if (label.Length is 0 or > DnsConstants.MaxLabelLength)
            {
                throw new ArgumentException($"\"{name}\" is not a valid domain name", nameof(name));
            }

            bytes[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label, bytes.AsSpan(at));
        }

        bytes[at] = 0;
        if (bytes.Length > DnsConstants.MaxNameLength)
        {
            throw new ArgumentException($"\"{name}\" is longer than 255 bytes", nameof(name));
        }

        return bytes;
    }

    /// <summary>The reverse-lookup name of an IPv4 address: 10.88.0.3 → 3.0.88.10.in-addr.arpa.</summary>
    public static string ReverseName(System.Net.IPAddress address)
    {
        var b = address.GetAddressBytes();
        return $"{b[3]}.{b[2]}.{b[1]}.{b[0]}.in-addr.arpa";
    }

    /// <summary>The dashed form CoreDNS uses for addresses in names: 10.88.0.3 → 10-88-0-3.</summary>
    public static string Dashed(string address) => address.Replace('.', '-');

    /// <summary>True when <paramref name="name"/> is <paramref name="zone"/> or inside it.</summary>
    public static bool InZone(string name, string zone) =>
        name.Length == zone.Length ? string.Equals(name, zone, StringComparison.Ordinal)
        : name.Length > zone.Length && name[name.Length - zone.Length - 1] == '.' && name.EndsWith(zone, StringComparison.Ordinal);
}
