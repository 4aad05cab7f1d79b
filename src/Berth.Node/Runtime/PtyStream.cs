using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Berth.Node.Runtime;

/// <summary>
/// The master side of a pseudo-terminal as a stream: reads wait with poll(2) so they notice the command's end even
/// when a background process keeps the terminal open; EIO (every slave closed) is end of stream.
/// </summary>
internal sealed class PtyStream(SafeFileHandle master, Func<bool> exited) : Stream
{
    private const int PollMilliseconds = 100;
    private volatile bool _closed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override unsafe int Read(Span<byte> buffer)
    {
        var idleAfterExit = 0;
        while (!_closed)
        {
            var added = false;
            try
            {
                master.DangerousAddRef(ref added);
                var fd = (int)master.DangerousGetHandle();
                var pfd = new LinuxNative.PollFd { Fd = fd, Events = LinuxNative.PollIn };
                var ready = LinuxNative.poll(ref pfd, 1, PollMilliseconds);
                if (ready == 0)
                {
                    // Nothing for a while and the command is gone: whatever still holds the terminal is not its output.
                    if (exited() && ++idleAfterExit >= 3)
                    {
                        return 0;
                    }

                    continue;
                }

                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == LinuxNative.Eintr)
                    {
                        continue;
                    }

                    return 0;
                }

                fixed (byte* p = buffer)
                {
                    var n = LinuxNative.read(fd, p, buffer.Length);
                    if (n >= 0)
                    {
                        return (int)n;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is LinuxNative.Eintr or LinuxNative.Eagain)
                    {
                        continue;
                    }

                    // EIO: the last slave descriptor closed.
                    return 0;
                }
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
            finally
            {
                if (added)
                {
                    master.DangerousRelease();
                }
            }
        }

        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Task.Run(() => Read(buffer.Span), cancellationToken));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        var added = false;
        try
        {
            master.DangerousAddRef(ref added);
            var fd = (int)master.DangerousGetHandle();
            fixed (byte* p = buffer)
            {
                var done = 0;
                while (done < buffer.Length)
                {
                    var n = LinuxNative.write(fd, p + done, buffer.Length - done);
                    if (n < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == LinuxNative.Eintr)
                        {
                            continue;
                        }

                        throw new IOException($"write to terminal failed: errno {errno}");
                    }

                    done += (int)n;
                }
            }
        }
        finally
        {
            if (added)
            {
                master.DangerousRelease();
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Task.Run(() => Write(buffer.Span), cancellationToken));

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }
}
