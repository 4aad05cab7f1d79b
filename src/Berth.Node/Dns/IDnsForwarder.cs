namespace Berth.Node.Dns;

/// <summary>Sends a query for a name outside the cluster to the host's resolvers (injectable: tests use a loopback fake).</summary>
internal interface IDnsForwarder
{
    /// <summary>The upstream response, or null when no resolver answered (the server then answers SERVFAIL).</summary>
    Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken);
}
