using System.Globalization;

namespace Berth.Storage.Sqlite;

/// <summary>
/// Exclusive ownership of a data dir: an flock(LOCK_EX) on <c>berth.lock</c> (what .NET takes for
/// FileShare.None on Unix), released by the kernel when the process dies, so a kill -9 never leaves a stale
/// lock. The owner's PID goes to <c>berth.pid</c> because the locked file cannot be read by the loser.
/// </summary>
internal sealed class DataDirLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _pidPath;

    private DataDirLock(FileStream lockFile, string pidPath)
    {
        _lock = lockFile;
        _pidPath = pidPath;
    }

    public static DataDirLock Acquire(string dataDir)
    {
        var lockPath = Path.Combine(dataDir, "berth.lock");
        var pidPath = Path.Combine(dataDir, "berth.pid");
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            var owner = "another process";
            try
            {
                var text = File.ReadAllText(pidPath).Trim();
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    owner = $"process {pid}";
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            throw new StoreException(StoreErrorCode.InUse, $"data dir {dataDir} is already in use by {owner}", e);
        }

        File.WriteAllText(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new DataDirLock(stream, pidPath);
    }

    public void Dispose()
    {
        // berth serve's ServeLease writes the same file for the same process and removes it itself when serve exits;
        // the lock removes it only while it still names this process, so it never takes away another owner's claim.
        try
        {
            if (File.ReadAllText(_pidPath).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(_pidPath);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        _lock.Dispose();
    }
}
