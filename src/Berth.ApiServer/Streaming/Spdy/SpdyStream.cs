using System.IO.Pipelines;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// One SPDY stream as a duplex <see cref="Stream"/>: reading returns the peer's DATA (0 once it half-closed with FIN
/// or reset the stream), writing sends DATA, <see cref="CloseWriteAsync"/> half-closes our side with FIN,
/// <see cref="ResetAsync"/> aborts it.
/// </summary>
internal sealed class SpdyStream : AsyncStream
{
    private readonly SpdyConnection _connection;
    private readonly Pipe _inbound = new(new PipeOptions(
        pauseWriterThreshold: SpdyConnection.MaxBuffered,
        resumeWriterThreshold: SpdyConnection.MaxBuffered / 2,
        useSynchronizationContext: false));

    private long _unacknowledged;
    private int _localClosed;
    private volatile bool _remoteClosed;
    private volatile bool _resetByPeer;
    private volatile bool _stopped;
    private bool _inboundDone;

    public SpdyStream(SpdyConnection connection, uint id, SpdyHeaders headers, int initialSendWindow)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
        SendWindow = initialSendWindow;
    }

    public uint Id { get; }

    public SpdyHeaders Headers { get; }

    /// <summary>streamType, the header every Kubernetes SPDY stream carries (error, stdin, stdout, stderr, resize, data).</summary>
    public string StreamType => Headers.Get("streamtype") ?? "";

    /// <summary>Guarded by the connection's window lock.</summary>
    internal long SendWindow { get; set; }

    internal bool RemoteClosed => _remoteClosed;

    internal bool ResetByPeer => _resetByPeer;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_stopped)
        {
            return 0;
        }

        var result = await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var data = result.Buffer;
        if (result.IsCanceled || _stopped || (data.IsEmpty && result.IsCompleted))
        {
            // Stopped (the session is over or the stream was reset), or the peer half-closed.
            _inbound.Reader.AdvanceTo(data.Start, data.End);
            return 0;
        }

        var n = (int)Math.Min(data.Length, buffer.Length);
        var slice = data.Slice(0, n);
        CopyTo(slice, buffer.Span);
        _inbound.Reader.AdvanceTo(slice.End);
        await _connection.ConsumedAsync(this, n).ConfigureAwait(false);
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _localClosed) != 0)
        {
            throw new IOException("write on a half-closed SPDY stream");
        }

        if (_resetByPeer)
        {
            throw new IOException("the SPDY stream was reset by the peer");
        }

        await _connection.SendDataAsync(this, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Half-closes our side: an empty DATA frame with FIN. Idempotent; a no-op once the stream is reset.</summary>
    public async Task CloseWriteAsync()
    {
        if (Interlocked.Exchange(ref _localClosed, 1) != 0 || _resetByPeer)
        {
            return;
        }

        try
        {
            await _connection.WriteFrameAsync(SpdyFrames.Data(Id, SpdyFrame.FlagFin, []), CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        if (_remoteClosed)
        {
            _connection.Forget(this);
        }
    }

    /// <summary>Aborts the stream (RST_STREAM) and stops reading it.</summary>
    public async Task ResetAsync(uint status = SpdyFrames.Cancel)
    {
        if (Interlocked.Exchange(ref _localClosed, 1) == 0 || !_remoteClosed)
        {
            try
            {
                await _connection.WriteFrameAsync(SpdyFrames.RstStream(Id, status), CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }

        await StopReadingAsync().ConfigureAwait(false);
        _connection.Forget(this);
    }

    /// <summary>
    /// The application is done reading: a pending read returns 0 and further DATA for this stream is dropped. Safe
    /// while a read is in progress on another thread (the pipe itself is never completed from here).
    /// </summary>
    public ValueTask StopReadingAsync()
    {
        _stopped = true;
        _inbound.Reader.CancelPendingRead();
        _inbound.Writer.CancelPendingFlush();
        return ValueTask.CompletedTask;
    }

    /// <summary>Called by the connection's reader only.</summary>
    internal async Task ReceiveAsync(ReadOnlyMemory<byte> data, bool fin)
    {
        if (_inboundDone)
        {
            return;
        }

        if (!data.IsEmpty)
        {
            if (_stopped)
            {
                // Nobody reads any more; still acknowledge it so a flow-controlled peer is not stuck.
                await _connection.ConsumedAsync(this, data.Length).ConfigureAwait(false);
            }
            else
            {
                _ = await _inbound.Writer.WriteAsync(data).ConfigureAwait(false);
            }
        }

        if (fin)
        {
            _remoteClosed = true;
            _inboundDone = true;
            await _inbound.Writer.CompleteAsync().ConfigureAwait(false);
            if (Volatile.Read(ref _localClosed) != 0)
            {
                _connection.Forget(this);
            }
        }
    }

    /// <summary>Called by the connection's reader only.</summary>
    internal async Task OnResetAsync()
    {
        _resetByPeer = true;
        _remoteClosed = true;
        Interlocked.Exchange(ref _localClosed, 1);
        if (!_inboundDone)
        {
            _inboundDone = true;
            await _inbound.Writer.CompleteAsync().ConfigureAwait(false);
        }

        _connection.Forget(this);
    }

    /// <summary>Called by the connection's reader only, once the connection ended.</summary>
    internal async Task OnConnectionClosedAsync()
    {
        _resetByPeer = true;
        if (!_inboundDone)
        {
            _inboundDone = true;
            await _inbound.Writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    internal long AddUnacknowledged(int count, int threshold)
    {
        var total = Interlocked.Add(ref _unacknowledged, count);
        if (total < threshold)
        {
            return 0;
        }

        return Interlocked.Exchange(ref _unacknowledged, 0);
    }

    private static void CopyTo(in System.Buffers.ReadOnlySequence<byte> source, Span<byte> destination)
    {
        foreach (var segment in source)
        {
            segment.Span.CopyTo(destination);
            destination = destination[segment.Length..];
        }
    }
}
