using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming.Spdy;

/// <summary>
/// The server side of a SPDY/3.1 session over an upgraded connection, as far as kubectl's exec, attach and
/// port-forward need it: the client opens streams (SYN_STREAM, answered at once with SYN_REPLY, or with a FIN reply
/// when <c>accept</c> refuses them), both sides send DATA and half-close with FIN, RST_STREAM aborts a stream, PINGs
/// from the client are echoed, GOAWAY ends the session.
/// <para>
/// Flow control (3.1, section 2.6.8): data we receive is acknowledged with WINDOW_UPDATE (per stream and for the
/// session) as the application consumes it, so a peer that honours windows keeps flowing. kubectl's SPDY stack
/// (moby/spdystream) neither sends WINDOW_UPDATE nor respects windows, so our own sending honours the peer's windows
/// only once the peer has shown it speaks flow control (a WINDOW_UPDATE, or SETTINGS with an initial window);
/// otherwise it would stall after 64 KiB. Memory stays bounded either way: each stream buffers at most
/// <see cref="MaxBuffered"/> bytes before the reader stops taking frames off the connection (TCP backpressure).
/// </para>
/// </summary>
internal sealed class SpdyConnection : IAsyncDisposable
{
    public const int DefaultWindow = 64 * 1024;
    public const int MaxBuffered = 1024 * 1024;
    public const int MaxDataFrame = 32 * 1024;

    private readonly Stream _transport;
    private readonly ILogger? _logger;
    private readonly Func<SpdyHeaders, string?>? _accept;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SpdyHeaderCompression _compressor = SpdyHeaderCompression.Compressor();
    private readonly SpdyHeaderCompression _decompressor = SpdyHeaderCompression.Decompressor();
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private readonly Channel<SpdyStream> _incoming = Channel.CreateUnbounded<SpdyStream>();
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _windowLock = new();
    private TaskCompletionSource _windowChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sessionSendWindow = DefaultWindow;
    private int _initialSendWindow = DefaultWindow;
    private long _sessionUnacknowledged;
    private volatile bool _peerFlowControl;
    private uint _lastRemoteStreamId;
    private Task _readLoop = Task.CompletedTask;
    private int _disposed;

    /// <param name="accept">Checks a new stream's headers; a non-null reason refuses it (FIN reply), as upstream's newStreamHandler.</param>
    public SpdyConnection(Stream transport, ILogger? logger = null, Func<SpdyHeaders, string?>? accept = null)
    {
        _transport = transport;
        _logger = logger;
        _accept = accept;
    }

    /// <summary>Streams the client opened and that were accepted, in order. Completes when the session ends.</summary>
    public ChannelReader<SpdyStream> IncomingStreams => _incoming.Reader;

    /// <summary>Cancelled once the peer is gone (end of the connection, a GOAWAY, a protocol error) or on dispose.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Completes when the reader stops: the peer closed the connection or broke the protocol.</summary>
    public Task Completion => _readLoop;

    /// <summary>Whether the peer takes part in flow control (sent WINDOW_UPDATE or an initial window setting).</summary>
    public bool PeerFlowControl => _peerFlowControl;

    public void Start() => _readLoop = Task.Run(ReadLoopAsync);

    /// <summary>Waits (bounded) for the peer to close the connection, so the last frames reach it before we do.</summary>
    public async Task WaitForPeerCloseAsync(TimeSpan timeout)
    {
        try
        {
            await _readLoop.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _compressor.Dispose();
            _decompressor.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }

        _closed.Dispose();
    }

    internal async Task WriteFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested)
            {
                throw new IOException("the SPDY connection is closed");
            }

            await _transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends DATA for <paramref name="stream"/>, in frames of at most <see cref="MaxDataFrame"/>, within the windows.</summary>
    internal async Task SendDataAsync(SpdyStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var n = await AcquireSendWindowAsync(stream, Math.Min(data.Length, MaxDataFrame), cancellationToken).ConfigureAwait(false);
            await WriteFrameAsync(SpdyFrames.Data(stream.Id, 0, data.Span[..n]), cancellationToken).ConfigureAwait(false);
            data = data[n..];
        }
    }

    /// <summary>The application consumed <paramref name="count"/> received bytes: reopen the peer's windows.</summary>
    internal async Task ConsumedAsync(SpdyStream stream, int count)
    {
        var streamDelta = stream.AddUnacknowledged(count, DefaultWindow / 2);
        long sessionDelta;
        lock (_windowLock)
        {
            _sessionUnacknowledged += count;
            sessionDelta = _sessionUnacknowledged >= DefaultWindow / 2 ? _sessionUnacknowledged : 0;
            if (sessionDelta > 0)
            {
                _sessionUnacknowledged = 0;
            }
        }

        try
        {
            if (streamDelta > 0 && !stream.RemoteClosed)
            {
                await WriteFrameAsync(SpdyFrames.WindowUpdate(stream.Id, (uint)streamDelta), CancellationToken.None).ConfigureAwait(false);
            }

            if (sessionDelta > 0)
            {
                await WriteFrameAsync(SpdyFrames.WindowUpdate(0, (uint)sessionDelta), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The connection is going away; there is nobody left to open windows for.
        }
    }

    internal void Forget(SpdyStream stream)
    {
        _streams.TryRemove(stream.Id, out _);
        SignalWindow();
    }

    private async Task<int> AcquireSendWindowAsync(SpdyStream stream, int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_windowLock)
            {
                if (stream.ResetByPeer || _closed.IsCancellationRequested)
                {
                    throw new IOException("the SPDY stream was closed by the peer");
                }

                var available = Math.Min(stream.SendWindow, _sessionSendWindow);
                if (!_peerFlowControl || available > 0)
                {
                    var n = _peerFlowControl ? (int)Math.Min(wanted, available) : wanted;
                    stream.SendWindow -= n;
                    _sessionSendWindow -= n;
                    return n;
                }

                changed = _windowChanged.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalWindow()
    {
        TaskCompletionSource previous;
        lock (_windowLock)
        {
            previous = _windowChanged;
            _windowChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await SpdyFrames.ReadAsync(_transport, _closed.Token).ConfigureAwait(false) is { } frame)
            {
                await HandleAsync(frame).ConfigureAwait(false);
            }
        }
        catch (SpdyProtocolException e)
        {
            _logger?.LogInformation("SPDY protocol error from the client: {Message}", e.Message);
            try
            {
                await WriteFrameAsync(SpdyFrames.GoAway(_lastRemoteStreamId, SpdyFrames.GoAwayProtocolError), CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException
            or System.Net.WebSockets.WebSocketException
            || (e is InvalidOperationException && Volatile.Read(ref _disposed) == 1))
        {
            // The connection ended. While disposing, InvalidOperationException too: disposing a pipe-backed transport
            // (Kestrel's upgraded connection) completes its reader, and a read already in flight reports it that way.
        }
        finally
        {
            _incoming.Writer.TryComplete();
            await _closed.CancelAsync().ConfigureAwait(false);
            foreach (var stream in _streams.Values)
            {
                await stream.OnConnectionClosedAsync().ConfigureAwait(false);
            }

            SignalWindow();
        }
    }

    private async Task HandleAsync(SpdyFrame frame)
    {
        switch (frame.Type)
        {
            case SpdyFrameType.Data:
                if (_streams.TryGetValue(frame.StreamId, out var target))
                {
                    await target.ReceiveAsync(frame.Payload, frame.Fin).ConfigureAwait(false);
                }
                else if (frame.Payload.Length > 0)
                {
                    // Data for a stream that is gone still counts against the session window.
                    await WriteFrameAsync(SpdyFrames.WindowUpdate(0, (uint)frame.Payload.Length), CancellationToken.None).ConfigureAwait(false);
                }

                break;
            case SpdyFrameType.SynStream:
                await OnSynStreamAsync(frame).ConfigureAwait(false);
                break;
            case SpdyFrameType.SynReply or SpdyFrameType.Headers:
                // Decompressed even though unused: the header compression state runs through every header block.
                RequireLength(frame, 4);
                _ = SpdyHeaders.Decode(_decompressor.Decompress(frame.Payload.Span[4..]));
                if (frame.Fin && _streams.TryGetValue(frame.StreamId, out var finished))
                {
                    await finished.ReceiveAsync(ReadOnlyMemory<byte>.Empty, fin: true).ConfigureAwait(false);
                }

                break;
            case SpdyFrameType.RstStream:
                RequireLength(frame, 8);
                if (_streams.TryGetValue(frame.StreamId, out var reset))
                {
                    await reset.OnResetAsync().ConfigureAwait(false);
                    SignalWindow();
                }

                break;
            case SpdyFrameType.Settings:
                OnSettings(frame.Payload.Span);
                break;
            case SpdyFrameType.Ping:
                RequireLength(frame, 4);
                // Odd ids are the client's pings: echo them. Even ids would answer pings of ours; we send none.
                var id = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.Span);
                if ((id & 1) == 1)
                {
                    await WriteFrameAsync(SpdyFrames.Ping(id), CancellationToken.None).ConfigureAwait(false);
                }

                break;
            case SpdyFrameType.GoAway:
                // No new streams will come; the ones running finish.
                _incoming.Writer.TryComplete();
                break;
            case SpdyFrameType.WindowUpdate:
                RequireLength(frame, 8);
                OnWindowUpdate(frame.StreamId, BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.Span[4..]) & 0x7FFFFFFF);
                break;
            default:
                // Unknown control frames are ignored (draft 3.1, 2.2.1).
                break;
        }
    }

    private async Task OnSynStreamAsync(SpdyFrame frame)
    {
        RequireLength(frame, 10);
        var headers = SpdyHeaders.Decode(_decompressor.Decompress(frame.Payload.Span[10..]));
        var id = frame.StreamId;
        if (id == 0 || (id & 1) == 0 || id <= _lastRemoteStreamId)
        {
            // Client streams have odd, increasing ids (2.3.2).
            await WriteFrameAsync(SpdyFrames.RstStream(id == 0 ? 1 : id, SpdyFrames.ProtocolError), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        _lastRemoteStreamId = id;
        var refusal = _accept?.Invoke(headers);
        var stream = new SpdyStream(this, id, headers, _initialSendWindow);
        if (refusal is not null)
        {
            _logger?.LogInformation("SPDY stream {Id} refused: {Reason}", id, refusal);
            await SendReplyAsync(id, SpdyFrame.FlagFin).ConfigureAwait(false);
            return;
        }

        _streams[id] = stream;
        if (frame.Fin || (frame.Flags & SpdyFrame.FlagUnidirectional) != 0)
        {
            await stream.ReceiveAsync(ReadOnlyMemory<byte>.Empty, fin: true).ConfigureAwait(false);
        }

        await SendReplyAsync(id, 0).ConfigureAwait(false);
        _incoming.Writer.TryWrite(stream);
    }

    /// <summary>SYN_REPLY with no headers. Compressed and written under one lock: header blocks must reach the peer in compression order.</summary>
    private async Task SendReplyAsync(uint id, byte flags)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested)
            {
                throw new IOException("the SPDY connection is closed");
            }

            var reply = SpdyFrames.SynReply(id, flags, _compressor.Compress(SpdyHeaders.Empty.Encode()));
            await _transport.WriteAsync(reply).ConfigureAwait(false);
            await _transport.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void OnSettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            throw new SpdyProtocolException("truncated SETTINGS");
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (count > (payload.Length - 4) / 8)
        {
            throw new SpdyProtocolException("SETTINGS entry count out of range");
        }

        for (var i = 0; i < (int)count; i++)
        {
            var entry = payload.Slice(4 + (8 * i), 8);
            var settingId = BinaryPrimitives.ReadUInt32BigEndian(entry) & 0xFFFFFF;
            var value = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            if (settingId == SpdyFrames.SettingsInitialWindowSize && value <= int.MaxValue)
            {
                lock (_windowLock)
                {
                    // A new initial window shifts every open stream's window by the difference (2.6.8).
                    var delta = (int)value - _initialSendWindow;
                    _initialSendWindow = (int)value;
                    foreach (var stream in _streams.Values)
                    {
                        stream.SendWindow += delta;
                    }

                    _peerFlowControl = true;
                }

                SignalWindow();
            }
        }
    }

    private void OnWindowUpdate(uint streamId, uint delta)
    {
        lock (_windowLock)
        {
            if (streamId == 0)
            {
                _sessionSendWindow += delta;
            }
            else if (_streams.TryGetValue(streamId, out var stream))
            {
                stream.SendWindow += delta;
            }

            _peerFlowControl = true;
        }

        SignalWindow();
    }

    private static void RequireLength(SpdyFrame frame, int length)
    {
        if (frame.Payload.Length < length)
        {
            throw new SpdyProtocolException($"truncated {frame.Type} frame");
        }
    }
}
