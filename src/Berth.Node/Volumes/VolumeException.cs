namespace Berth.Node.Volumes;

/// <summary>A volume cannot be set up (yet); the message is what kubelet would put after "MountVolume.SetUp failed".</summary>
internal sealed class VolumeException : Exception
{
    public VolumeException()
    {
    }

    public VolumeException(string message)
        : base(message)
    {
    }

    public VolumeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
