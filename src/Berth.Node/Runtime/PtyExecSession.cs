using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Berth.Node.Runtime;

/// <summary>
/// A TTY exec (<c>kubectl exec -t</c>): the command runs in a new session whose controlling terminal is the slave
/// side of a fresh pseudo-terminal; stdin, stdout and stderr all go through the master side here. Spawned with
/// posix_spawn so the slave is opened only in the child (after setsid, which makes it the controlling terminal) and no
/// terminal descriptor can leak into processes the runtime starts meanwhile.
/// </summary>
internal sealed class PtyExecSession : IExecSession
{
    private readonly SafeFileHandle _master;
    private readonly int _pid;
    private readonly PtyStream _stream;
    private volatile bool _exited;

    private PtyExecSession(SafeFileHandle master, int pid)
    {
        _master = master;
        _pid = pid;
        _stream = new PtyStream(master, () => _exited);
        Exited = Task.Factory.StartNew(WaitForExit, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public Stream? Stdin => _stream;

    public Stream Stdout => _stream;

    public Stream? Stderr => null;

    public Task<int> Exited { get; }

    /// <param name="devDirectory">
    /// The container's /dev as the host sees it (<c>/proc/PID/root/dev</c>): the terminal is allocated from the
    /// container's own devpts instance, so inside it is a /dev/pts/N that exists there (tty, ttyname work). Null
    /// allocates from the host's.
    /// </param>
    public static PtyExecSession Start(string file, IReadOnlyList<string> argv, IReadOnlyList<KeyValuePair<string, string>> environment,
        ushort columns, ushort rows, string? devDirectory = null)
    {
        var flags = LinuxNative.ORdwr | LinuxNative.ONoctty | LinuxNative.OCloexec;
        var fd = devDirectory is null ? -1 : LinuxNative.OpenFile(Path.Combine(devDirectory, "pts", "ptmx"), flags);
        var inContainer = fd >= 0;
        if (fd < 0)
        {
            fd = LinuxNative.posix_openpt(flags);
        }

        if (fd < 0)
        {
            LinuxNative.ThrowLastError("posix_openpt");
        }

        var master = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (LinuxNative.grantpt(fd) != 0 || LinuxNative.unlockpt(fd) != 0)
            {
                LinuxNative.ThrowLastError("grantpt/unlockpt");
            }

            string slavePath;
            if (inContainer)
            {
                // ptsname would look the number up in the host's /dev/pts; the container's instance is under its root.
                if (LinuxNative.IoctlInt(fd, LinuxNative.Tiocgptn, out var number) != 0)
                {
                    LinuxNative.ThrowLastError("ioctl(TIOCGPTN)");
                }

                slavePath = Path.Combine(devDirectory!, "pts", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                slavePath = SlavePath(fd);
            }

            var size = new LinuxNative.WinSize { Columns = columns == 0 ? (ushort)80 : columns, Rows = rows == 0 ? (ushort)24 : rows };
            _ = LinuxNative.ioctl(fd, LinuxNative.Tiocswinsz, ref size);
            var pid = Spawn(file, argv, environment, slavePath);
            return new PtyExecSession(master, pid);
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    private static unsafe string SlavePath(int fd)
    {
        var buffer = stackalloc byte[128];
        if (LinuxNative.ptsname_r(fd, buffer, 128) != 0)
        {
            LinuxNative.ThrowLastError("ptsname_r");
        }

        return Marshal.PtrToStringUTF8((nint)buffer)!;
    }

    private static int Spawn(string file, IReadOnlyList<string> argv, IReadOnlyList<KeyValuePair<string, string>> environment, string slavePath)
    {
        var actions = Marshal.AllocHGlobal(LinuxNative.SpawnStructSize);
        var attributes = Marshal.AllocHGlobal(LinuxNative.SpawnStructSize);
        var mask = Marshal.AllocHGlobal(LinuxNative.SpawnStructSize);
        var defaults = Marshal.AllocHGlobal(LinuxNative.SpawnStructSize);
        var strings = new List<nint>();
        nint argvBlock = 0, envBlock = 0;
        try
        {
            _ = LinuxNative.posix_spawn_file_actions_init(actions);
            _ = LinuxNative.posix_spawnattr_init(attributes);
            // Opened after setsid in the child: the terminal becomes the new session's controlling terminal.
            Check(LinuxNative.posix_spawn_file_actions_addopen(actions, 0, slavePath, LinuxNative.ORdwr, 0), "addopen");
            Check(LinuxNative.posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2");
            Check(LinuxNative.posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2");
            // The runtime ignores SIGPIPE and blocks some signals on its threads; the command must start clean.
            _ = LinuxNative.sigemptyset(mask);
            _ = LinuxNative.sigfillset(defaults);
            Check(LinuxNative.posix_spawnattr_setsigmask(attributes, mask), "setsigmask");
            Check(LinuxNative.posix_spawnattr_setsigdefault(attributes, defaults), "setsigdefault");
            Check(LinuxNative.posix_spawnattr_setflags(attributes,
                (short)(LinuxNative.PosixSpawnSetSid | LinuxNative.PosixSpawnSetSigMask | LinuxNative.PosixSpawnSetSigDef)), "setflags");

            argvBlock = Block([file, .. argv.Skip(1)], strings);
            envBlock = Block([.. environment.Select(e => e.Key + "=" + e.Value)], strings);
            var error = LinuxNative.posix_spawnp(out var pid, file, actions, attributes, argvBlock, envBlock);
            if (error != 0)
            {
                throw new IOException($"posix_spawnp {file} failed: errno {error} ({Marshal.GetPInvokeErrorMessage(error)})");
            }

            return pid;
        }
        finally
        {
            _ = LinuxNative.posix_spawn_file_actions_destroy(actions);
            _ = LinuxNative.posix_spawnattr_destroy(attributes);
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            Marshal.FreeHGlobal(argvBlock);
            Marshal.FreeHGlobal(envBlock);
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attributes);
            Marshal.FreeHGlobal(mask);
            Marshal.FreeHGlobal(defaults);
        }
    }

    /// <summary>A NULL-terminated char* array (argv, envp).</summary>
    private static nint Block(IReadOnlyList<string> values, List<nint> strings)
    {
        var block = Marshal.AllocHGlobal(nint.Size * (values.Count + 1));
        for (var i = 0; i < values.Count; i++)
        {
            var s = Marshal.StringToCoTaskMemUTF8(values[i]);
            strings.Add(s);
            Marshal.WriteIntPtr(block, i * nint.Size, s);
        }

        Marshal.WriteIntPtr(block, values.Count * nint.Size, 0);
        return block;
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"posix_spawn {what} failed: errno {result}");
        }
    }

    private int WaitForExit()
    {
        int status;
        while (LinuxNative.waitpid(_pid, out status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != LinuxNative.Eintr)
            {
                _exited = true;
                return -1;
            }
        }

        _exited = true;
        return LinuxNative.ExitCodeOf(status);
    }

    public void Resize(ushort columns, ushort rows)
    {
        var size = new LinuxNative.WinSize { Columns = columns, Rows = rows };
        var added = false;
        try
        {
            _master.DangerousAddRef(ref added);
            _ = LinuxNative.ioctl((int)_master.DangerousGetHandle(), LinuxNative.Tiocswinsz, ref size);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                _master.DangerousRelease();
            }
        }
    }

    public void Kill()
    {
        if (!_exited)
        {
            ProcessTree.Kill(_pid);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Exited.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _master.Dispose();
    }

    public override string ToString() => new StringBuilder("pty exec pid ").Append(_pid).ToString();
}
