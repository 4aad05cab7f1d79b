namespace Berth.Controllers.Client;

public static class PatchTypes
{
    public static string ContentType(PatchType patchType) => patchType switch
    {
        PatchType.Json => "application/json-patch+json",
        PatchType.Merge => "application/merge-patch+json",
        PatchType.StrategicMerge => "application/strategic-merge-patch+json",
        _ => throw new ArgumentOutOfRangeException(nameof(patchType)),
    };
}
