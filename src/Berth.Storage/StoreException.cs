namespace Berth.Storage;

public sealed class StoreException : Exception
{
    public StoreException(StoreErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    public StoreException()
    {
    }

    public StoreException(string message) : base(message)
    {
    }

    public StoreException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public StoreErrorCode Code { get; }
}
