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

    [LibraryImport("libc")]
    internal static partial long sysconf(int name);

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

    // Terminals and process spawning for interactive exec (PtyProcess).
    internal const int ORdwr = 2;
    internal const int ONoctty = 0x100;
    internal const int OCloexec = 0x80000;
    internal const nuint Tiocswinsz = 0x5414;
    internal const short PosixSpawnSetSigDef = 0x04;
    internal const short PosixSpawnSetSigMask = 0x08;
    internal const short PosixSpawnSetSid = 0x80;
    internal const short PollIn = 0x001;
    internal const int Eintr = 4;
    internal const int Eagain = 11;

    /// <summary>Bytes reserved for glibc's opaque posix_spawn structures (80 and 336 bytes on x86_64/arm64), with room to spare.</summary>
    internal const int SpawnStructSize = 1024;

    [StructLayout(LayoutKind.Sequential)]
    internal struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rename(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int posix_openpt(int flags);

    internal const nuint Tiocgptn = 0x80045430;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int IoctlInt(int fd, nuint request, out int value);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int grantpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int unlockpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int ptsname_r(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, ref WinSize size);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int waitpid(int pid, out int status, int options);

    [LibraryImport("libc")]
    internal static partial int posix_spawn_file_actions_init(nint actions);

    [LibraryImport("libc")]
    internal static partial int posix_spawn_file_actions_destroy(nint actions);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int posix_spawn_file_actions_addopen(nint actions, int fd, string path, int flags, uint mode);

    [LibraryImport("libc")]
    internal static partial int posix_spawn_file_actions_adddup2(nint actions, int fd, int newFd);

    [LibraryImport("libc")]
    internal static partial int posix_spawnattr_init(nint attributes);

    [LibraryImport("libc")]
    internal static partial int posix_spawnattr_destroy(nint attributes);

    [LibraryImport("libc")]
    internal static partial int posix_spawnattr_setflags(nint attributes, short flags);

    [LibraryImport("libc")]
    internal static partial int posix_spawnattr_setsigmask(nint attributes, nint mask);

    [LibraryImport("libc")]
    internal static partial int posix_spawnattr_setsigdefault(nint attributes, nint signals);

    [LibraryImport("libc")]
    internal static partial int sigemptyset(nint set);

    [LibraryImport("libc")]
    internal static partial int sigfillset(nint set);

    /// <summary>posix_spawnp(3): returns 0 or an errno value (not -1).</summary>
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int posix_spawnp(out int pid, string file, nint actions, nint attributes, nint argv, nint envp);

    /// <summary>A wait status as a container exit code: the exit status, or 128 + the signal (like containerd).</summary>
    internal static int ExitCodeOf(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);

    internal static void ThrowLastError(string what) =>
        throw new IOException($"{what} failed: errno {Marshal.GetLastPInvokeError()} ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
}
