namespace Berth.E2E;

/// <summary>
/// Which berth the suites run. <c>BERTH_E2E_BINARY</c> names the binary users get (scripts/test sets it to the
/// Native AOT build that <c>./berth</c> publishes, so the suites test what ships, reflection-free paths included);
/// without it, <c>dotnet berth.dll</c> from the test output (a quick run of one suite from an IDE).
/// </summary>
internal static class BerthBinary
{
    public static string? Published =>
        Environment.GetEnvironmentVariable("BERTH_E2E_BINARY") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>The executable and the arguments that come before berth's own.</summary>
    public static (string FileName, string[] Prefix) Command() =>
        Published is { } binary ? (binary, []) : ("dotnet", [Path.Combine(AppContext.BaseDirectory, "berth.dll")]);
}
