using System.Globalization;
using System.Text;

namespace Berth.Node.Logs;

/// <summary>
/// Serves a CRI-format container log file (written by <c>ContainerLogWriter</c>) the way kubelet's
/// kuberuntime/logs ReadLogs does for <c>kubectl logs</c>: partial records joined into lines, optional RFC3339Nano
/// timestamp prefix, <c>sinceTime</c>, <c>tailLines</c>, <c>limitBytes</c>, and <c>follow</c> until the container's
/// run ends.
/// </summary>
internal static class ContainerLogReader
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(100);

    /// <param name="runEnded">For follow: completes when the run that writes this file has ended and its output is flushed.</param>
    public static async Task WriteAsync(string path, LogReadOptions options, Stream output, Task? runEnded, TimeProvider time,
        CancellationToken cancellationToken)
    {
        long remaining = options.LimitBytes ?? long.MaxValue;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 1, FileOptions.SequentialScan);
        var reader = new RecordReader(file);

        // The existing content: filtered by since, then only its last tailLines lines.
        var lines = new List<LogLine>();
        var tail = options.TailLines;
        await foreach (var line in reader.ReadAvailableAsync(cancellationToken).ConfigureAwait(false))
        {
            if (options.SinceTime is { } since && line.Time < since)
            {
                continue;
            }

            lines.Add(line);
            if (tail is { } t && lines.Count > t)
            {
                lines.RemoveAt(0);
            }
        }

        if (tail == 0)
        {
            lines.Clear();
        }

        foreach (var line in lines)
        {
            if (!await WriteLineAsync(output, line, options.Timestamps, ref remaining).ConfigureAwait(false))
            {
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!options.Follow || runEnded is null)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var ended = runEnded.IsCompleted;
            var wrote = false;
            await foreach (var line in reader.ReadAvailableAsync(cancellationToken).ConfigureAwait(false))
            {
                if (options.SinceTime is { } since && line.Time < since)
                {
                    continue;
                }

                wrote = true;
                if (!await WriteLineAsync(output, line, options.Timestamps, ref remaining).ConfigureAwait(false))
                {
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }

            if (wrote)
            {
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            if (ended)
            {
                // The run had ended before this last read, so everything it wrote has been served.
                return;
            }

            try
            {
                await Task.WhenAny(runEnded, Task.Delay(FollowPoll, time, cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// kubectl attach's output: what the run writes from now on, each record to the stream it came from, until the run
    /// has ended and its last output is served, or <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <param name="fromStart">Serve the run's output from its first line (the first attach of a `kubectl run -i` container).</param>
    public static async Task AttachAsync(string path, Stream? stdout, Stream? stderr, Task runEnded, TimeProvider time,
        CancellationToken cancellationToken, bool fromStart = false)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 1, FileOptions.SequentialScan);
        if (!fromStart)
        {
            file.Seek(0, SeekOrigin.End);
        }

        var reader = new RecordReader(file);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ended = runEnded.IsCompleted;
            await foreach (var line in reader.ReadAvailableAsync(cancellationToken).ConfigureAwait(false))
            {
                var target = line.Stream == "stderr" ? stderr : stdout;
                if (target is not null)
                {
                    await target.WriteAsync(Encoding.UTF8.GetBytes(line.Content + "\n"), cancellationToken).ConfigureAwait(false);
                    await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            if (ended)
            {
                return;
            }

            await Task.WhenAny(runEnded, Task.Delay(FollowPoll, time, cancellationToken)).ConfigureAwait(false);
        }
    }

    private static ValueTask<bool> WriteLineAsync(Stream output, LogLine line, bool timestamps, ref long remaining)
    {
        var text = timestamps ? FormatTimestamp(line.Time) + " " + line.Content : line.Content;
        var bytes = Encoding.UTF8.GetBytes(line.Complete ? text + "\n" : text);
        if (remaining <= 0)
        {
            return ValueTask.FromResult(false);
        }

        var count = (int)Math.Min(bytes.Length, remaining);
        remaining -= count;
        var more = remaining > 0;
        return WriteAsync(output, bytes, count, more);

        static async ValueTask<bool> WriteAsync(Stream output, byte[] bytes, int count, bool more)
        {
            await output.WriteAsync(bytes.AsMemory(0, count)).ConfigureAwait(false);
            return more;
        }
    }

    /// <summary>Go's time.RFC3339Nano: up to nine fraction digits, trailing zeros dropped, none when zero.</summary>
    internal static string FormatTimestamp(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var seconds = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var ticks = utc.Ticks % TimeSpan.TicksPerSecond;
        if (ticks == 0)
        {
            return seconds + "Z";
        }

        var fraction = (ticks * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return seconds + "." + fraction + "Z";
    }

    /// <summary>Parses an RFC3339Nano timestamp as written in CRI log records.</summary>
    internal static bool TryParseTimestamp(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>One output line: joined partial records, the time of its first record.</summary>
    internal readonly record struct LogLine(DateTimeOffset Time, string Stream, string Content, bool Complete);

    /// <summary>Reads whole records from a growing file, keeping an incomplete last line (and partial records) for later.</summary>
    private sealed class RecordReader(FileStream file)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly List<byte> _pendingBytes = [];
        private StringBuilder? _partial;
        private DateTimeOffset _partialTime;
        private string _partialStream = "stdout";

        public async IAsyncEnumerable<LogLine> ReadAvailableAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            while (true)
            {
                var read = await file.ReadAsync(_buffer, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    yield break;
                }

                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (_buffer[i] != (byte)'\n')
                    {
                        continue;
                    }

                    string record;
                    if (_pendingBytes.Count > 0)
                    {
                        _pendingBytes.AddRange(_buffer.AsSpan(start, i - start).ToArray());
                        record = Encoding.UTF8.GetString([.. _pendingBytes]);
                        _pendingBytes.Clear();
                    }
                    else
                    {
                        record = Encoding.UTF8.GetString(_buffer, start, i - start);
                    }

                    start = i + 1;
                    if (Parse(record) is { } line)
                    {
                        yield return line;
                    }
                }

                _pendingBytes.AddRange(_buffer.AsSpan(start, read - start).ToArray());
            }
        }

        private LogLine? Parse(string record)
        {
            // <RFC3339Nano> <stdout|stderr> <P|F> <content>
            var a = record.IndexOf(' ', StringComparison.Ordinal);
            var b = a < 0 ? -1 : record.IndexOf(' ', a + 1);
            if (b < 0 || !TryParseTimestamp(record[..a], out var time))
            {
                return null;
            }

            var stream = record[(a + 1)..b];
            var c = record.IndexOf(' ', b + 1);
            var tag = c < 0 ? record[(b + 1)..] : record[(b + 1)..c];
            var content = c < 0 ? "" : record[(c + 1)..];
            if (tag == "P")
            {
                if (_partial is null)
                {
                    _partial = new StringBuilder();
                    _partialTime = time;
                    _partialStream = stream;
                }

                _partial.Append(content);
                return null;
            }

            if (_partial is not null)
            {
                var joined = _partial.Append(content).ToString();
                _partial = null;
                return new LogLine(_partialTime, _partialStream, joined, Complete: true);
            }

            return new LogLine(time, stream, content, Complete: true);
        }
    }
}
