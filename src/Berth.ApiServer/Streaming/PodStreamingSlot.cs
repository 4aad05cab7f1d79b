using Berth.Core.Streaming;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// Where the node agent plugs in its <see cref="IPodStreamingBackend"/>. The agent is built after the server
/// (it needs the server's client), so the backend is set, replaced or cleared while requests run: every request
/// reads it once, with a volatile read, and keeps what it read.
/// </summary>
internal sealed class PodStreamingSlot
{
    private IPodStreamingBackend? _backend;

    public IPodStreamingBackend? Backend
    {
        get => Volatile.Read(ref _backend);
        set => Volatile.Write(ref _backend, value);
    }
}
