using System.Buffers;
using System.Globalization;
using System.Text;

namespace Berth.Node.Runtime;

/// <summary>
/// Writes a container's stdout and stderr to one file in the CRI logging format kubelet reads for
/// <c>kubectl logs</c> (<c>&lt;RFC3339Nano&gt; &lt;stream&gt; &lt;P|F&gt; &lt;content&gt;</c>, cri-api
/// pkg/apis/runtime/v1 and kubelet's kuberuntime/logs): one record per line, a long line split into partial (P)
/// records, so <c>--timestamps</c>, <c>--tail</c> and <c>--previous</c> can be served from the file later.
/// </summary>
internal sealed class ContainerLogWriter : IAsyncDisposable
{
    private const int MaxRecord = 16 * 1024;
    private static readonly byte[] Newline = "\n"u8.ToArray();
    private readonly FileStream _file;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public ContainerLogWriter(string path, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // No FileStream buffer: each record reaches the file at once, for `logs -f` readers.
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        _time = time;
        LogPath = path;
    }

    public string LogPath { get; }

    /// <summary>Copies one stream ("stdout" or "stderr") into the file until it ends.</summary>
    public async Task PumpAsync(Stream source, string stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxRecord);
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(filled, MaxRecord - filled)).ConfigureAwait(false);
                if (read == 0)
                {
                    if (filled > 0)
                    {
                        await WriteRecordAsync(stream, buffer.AsMemory(0, filled), partial: false).ConfigureAwait(false);
                    }

                    return;
                }

                filled += read;
                var start = 0;
                int newline;
                while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
                {
                    await WriteRecordAsync(stream, buffer.AsMemory(start, newline - start), partial: false).ConfigureAwait(false);
                    start = newline + 1;
                }

                if (start == 0 && filled == MaxRecord)
                {
                    await WriteRecordAsync(stream, buffer.AsMemory(0, filled), partial: true).ConfigureAwait(false);
                    filled = 0;
                }
                else if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process went away: nothing more to log.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task WriteRecordAsync(string stream, ReadOnlyMemory<byte> content, bool partial)
    {
        var header = Encoding.UTF8.GetBytes(
            $"{_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture)} {stream} {(partial ? 'P' : 'F')} ");
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _file.WriteAsync(header).ConfigureAwait(false);
            await _file.WriteAsync(content).ConfigureAwait(false);
            await _file.WriteAsync(Newline).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
