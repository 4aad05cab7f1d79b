using Berth.ApiServer.Http;
using Berth.Core;
using Berth.Storage;

namespace Berth.ApiServer.Registry;

/// <summary>Store failures as the API statuses upstream's storage layer turns them into.</summary>
internal static class StoreErrors
{
    public static ApiException Map(StoreException e, ResourceDescriptor resource, string name) => e.Code switch
    {
        StoreErrorCode.KeyExists => Errors.AlreadyExists(resource, name),
        StoreErrorCode.NotFound => Errors.NotFound(resource, name),
        StoreErrorCode.Conflict => Errors.Conflict(resource, name, Errors.ModifiedMessage),
        StoreErrorCode.Expired => Errors.Gone(e.Message),
        StoreErrorCode.InvalidContinue => Errors.BadRequest(e.Message),
        StoreErrorCode.TooLargeResourceVersion => Errors.Timeout(e.Message, 1),
        StoreErrorCode.InvalidValue or StoreErrorCode.InvalidKey => Errors.BadRequest(e.Message),
        _ => new ApiException(Serialization.Status.Failure(500, "InternalError",
            $"Internal error occurred: {e.Message}")),
    };
}
