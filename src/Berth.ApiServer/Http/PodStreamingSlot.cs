using Berth.Core.Streaming;

namespace Berth.ApiServer.Http;

/// <summary>
/// Where the running node agent plugs in (<see cref="BerthServer.PodStreaming"/>): set after the server started,
/// read per request, so pods/log and friends answer 503 until an agent is there.
/// </summary>
internal sealed class PodStreamingSlot
{
    private volatile IPodStreamingBackend? _backend;

    public IPodStreamingBackend? Backend
    {
        get => _backend;
        set => _backend = value;
    }
}
