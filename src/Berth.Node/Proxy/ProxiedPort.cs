namespace Berth.Node.Proxy;

/// <summary>One Service port (TCP or UDP) and the ready endpoints' addresses and target ports behind it.</summary>
internal sealed record ProxiedPort(string Name, string Protocol, int Port, IReadOnlyList<(string Address, int Port)> Endpoints);
