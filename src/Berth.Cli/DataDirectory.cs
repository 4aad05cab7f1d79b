namespace Berth.Cli;

/// <summary>The data dir contract: --data-dir, else $BERTH_DATA_DIR, else ~/.berth.</summary>
internal static class DataDirectory
{
    public static string Resolve(string? flag)
    {
        if (!string.IsNullOrEmpty(flag))
        {
            return Path.GetFullPath(flag);
        }

        var env = Environment.GetEnvironmentVariable("BERTH_DATA_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.GetFullPath(env);
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".berth");
    }
}
