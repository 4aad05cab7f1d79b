using System.Runtime.InteropServices;

namespace Berth.Node.Runtime;

/// <summary>The few Linux system calls the sandbox needs that .NET does not wrap.</summary>
internal static partial class LinuxNative
{
    internal const int CloneNewNet = 0x40000000;
    internal const int MntDetach = 2;
    internal const int SigKill = 9;
    internal const int SigTerm = 15;
    internal const int Esrch = 3;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mount(string source, string target, string fstype, nuint flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int gettid();

    [LibraryImport("libc")]
    internal static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint if_nametoindex(string name);

    internal const nuint MsBind = 4096;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc")]
    private static partial void free(nint pointer);

    /// <summary>The canonical path with every symlink resolved (realpath(3)); null when it does not exist.</summary>
    internal static string? RealPath(string path)
    {
        var p = RealPathNative(path, 0);
        if (p == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            free(p);
        }
    }

    /// <summary>Moves the calling thread into the network namespace behind <paramref name="path"/>.</summary>
    internal static void SetNetworkNamespace(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new IOException($"setns({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    internal static bool Signal(int pid, int signal)
    {
        if (pid <= 0)
        {
            return false;
        }

        return kill(pid, signal) == 0;
    }

    internal static void ThrowLastError(string what) =>
        throw new IOException($"{what} failed: errno {Marshal.GetLastPInvokeError()} ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
}
