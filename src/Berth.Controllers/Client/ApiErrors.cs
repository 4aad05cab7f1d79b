namespace Berth.Controllers.Client;

/// <summary>Predicates over any exception, like apimachinery's errors.IsNotFound and friends.</summary>
public static class ApiErrors
{
    public static bool IsNotFound(Exception e) => e is ApiException { IsNotFound: true };

    public static bool IsAlreadyExists(Exception e) => e is ApiException { IsAlreadyExists: true };

    public static bool IsConflict(Exception e) => e is ApiException { IsConflict: true };

    public static bool IsExpired(Exception e) => e is ApiException { IsExpired: true };
}
