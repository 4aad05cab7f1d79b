using System.Globalization;

namespace Berth.Cli.Daemon;

/// <summary>
/// A <c>berth serve</c>'s claim on its data dir: <c>berth.pid</c> holds its pid while it runs, so a second serve
/// (or <c>berth up</c>) finds it instead of starting another over the same store. A pid file whose process is gone
/// is stale and taken over. Acquiring also removes a kubeconfig an earlier run left, so that the file's presence
/// keeps meaning what the serve contract says: the API answers /readyz.
/// </summary>
internal sealed class ServeLease : IDisposable
{
    private readonly DaemonFiles _files;
    private readonly int _pid;

    private ServeLease(DaemonFiles files, int pid)
    {
        _files = files;
        _pid = pid;
    }

    /// <summary>Claims the data dir; throws <see cref="InvalidOperationException"/> when a live serve holds it.</summary>
    public static ServeLease Acquire(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var files = new DaemonFiles(dataDir);
        var self = Environment.ProcessId;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (files.ReadLivePid() is { } other && other != self)
            {
                throw new InvalidOperationException($"berth is already running for {dataDir} (pid {other}); stop it with: berth down");
            }

            if (files.ReadPid() is { } stale)
            {
                DeleteIfStillNames(files, stale);
            }

            try
            {
                using (var stream = new FileStream(files.PidFile, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(self.ToString(CultureInfo.InvariantCulture) + "\n");
                }

                // Only now that the data dir is ours: a kubeconfig in it is from a run that ended.
                TryDelete(files.Kubeconfig);
                return new ServeLease(files, self);
            }
            catch (IOException) when (File.Exists(files.PidFile))
            {
                // Another serve created it between our check and our create: look again.
            }
        }

        throw new InvalidOperationException($"could not claim {files.PidFile}");
    }

    public void Dispose()
    {
        if (_files.ReadPid() == _pid)
        {
            TryDelete(_files.PidFile);
        }
    }

    private static void DeleteIfStillNames(DaemonFiles files, int pid)
    {
        // Re-read just before deleting: a serve that claimed the file since we looked must keep it.
        if (files.ReadPid() == pid)
        {
            TryDelete(files.PidFile);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
