namespace Berth.Node.Dns;

/// <summary>
/// What <see cref="ClusterDnsHandler.Answer"/> decided: a response of <see cref="Length"/> bytes (0 = send nothing),
/// or, when <see cref="Forward"/> is set, that the query belongs to the host's resolvers.
/// </summary>
internal readonly record struct DnsAnswer(int Length, DnsQuery? Forward);
