using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Berth.ApiServer.Http;
using Berth.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// port-forward over SPDY (upstream kubelet portforward/httpstream.go): for every local connection the client opens
/// an error stream and a data stream carrying the same port and requestID headers; once both are there, the pair
/// is piped to the pod's port. Failures are written to the error stream as text, which kubectl prints. A pair left
/// incomplete past the stream creation timeout is reported and dropped.
/// </summary>
internal static class SpdyPortForwardSession
{
    public static readonly TimeSpan StreamCreationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>upstream httpStreamReceived: a stream needs a valid port and a streamType of error or data.</summary>
    public static string? AcceptStream(SpdyHeaders headers)
    {
        var port = headers.Get("port");
        if (string.IsNullOrEmpty(port))
        {
            return "\"port\" header is required";
        }

        try
        {
            PortForwardProtocols.ParsePort(port, port);
        }
        catch (ApiException e)
        {
            return e.Message;
        }

        return headers.Get("streamtype") switch
        {
            null or "" => "\"streamType\" header is required",
            "error" or "data" => null,
            var other => $"invalid stream type \"{other}\"",
        };
    }

    public static async Task RunAsync(SpdyConnection connection, PortForwardTarget target, ILogger? logger, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closed);
        var pairs = new Dictionary<string, StreamPair>();
        var running = new List<Task>();
        try
        {
            await foreach (var stream in connection.IncomingStreams.ReadAllAsync(cancel.Token).ConfigureAwait(false))
            {
                running.RemoveAll(t => t.IsCompleted);
                var requestId = RequestId(stream);
                StreamPair? pair;
                bool created;
                lock (pairs)
                {
                    created = !pairs.TryGetValue(requestId, out pair);
                    if (created)
                    {
                        pair = new StreamPair(requestId);
                        pairs[requestId] = pair;
                    }
                }

                if (created)
                {
                    running.Add(MonitorAsync(pair!, pairs, cancel.Token));
                }

                if (pair!.Add(stream) is { } problem)
                {
                    await pair.PrintErrorAsync($"error processing stream for request {requestId}: {problem}").ConfigureAwait(false);
                    await stream.ResetAsync().ConfigureAwait(false);
                    continue;
                }

                if (pair.Complete)
                {
                    pair.Started.TrySetResult();
                    running.Add(ForwardAsync(pair, target, pairs, logger, cancel.Token));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>The requestID header; older clients sent none, and upstream pairs their streams by id (data = error + 2).</summary>
    private static string RequestId(SpdyStream stream)
    {
        if (stream.Headers.Get("requestid") is { Length: > 0 } id)
        {
            return id;
        }

        var errorId = stream.StreamType == "data" ? stream.Id - 2 : stream.Id;
        return errorId.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task MonitorAsync(StreamPair pair, Dictionary<string, StreamPair> pairs, CancellationToken cancellationToken)
    {
        try
        {
            await pair.Started.Task.WaitAsync(StreamCreationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await pair.PrintErrorAsync($"(request={pair.RequestId}) timed out waiting for streams").ConfigureAwait(false);
            await pair.ResetAsync().ConfigureAwait(false);
            lock (pairs)
            {
                pairs.Remove(pair.RequestId);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ForwardAsync(StreamPair pair, PortForwardTarget target, Dictionary<string, StreamPair> pairs, ILogger? logger,
        CancellationToken cancellationToken)
    {
        var data = pair.Data!;
        var error = pair.Error!;
        try
        {
            var port = int.Parse(data.Headers.Get("port")!, CultureInfo.InvariantCulture);
            // The client never writes to the error stream.
            await error.StopReadingAsync().ConfigureAwait(false);
            var problem = await target.ForwardAsync(port, data, data, data.CloseWriteAsync, logger, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes(problem), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        finally
        {
            await data.CloseWriteAsync().ConfigureAwait(false);
            await error.CloseWriteAsync().ConfigureAwait(false);
            lock (pairs)
            {
                pairs.Remove(pair.RequestId);
            }
        }
    }

    private sealed class StreamPair(string requestId)
    {
        public string RequestId { get; } = requestId;

        public SpdyStream? Data { get; private set; }

        public SpdyStream? Error { get; private set; }

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Complete => Data is not null && Error is not null;

        /// <summary>upstream httpStreamPair.add</summary>
        public string? Add(SpdyStream stream)
        {
            if (stream.StreamType == "error")
            {
                if (Error is not null)
                {
                    return "error stream already assigned";
                }

                Error = stream;
            }
            else
            {
                if (Data is not null)
                {
                    return "data stream already assigned";
                }

                Data = stream;
            }

            return null;
        }

        public async Task PrintErrorAsync(string message)
        {
            if (Error is null)
            {
                return;
            }

            try
            {
                await Error.WriteAsync(Encoding.UTF8.GetBytes(message)).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }

        public async Task ResetAsync()
        {
            if (Data is not null)
            {
                await Data.ResetAsync().ConfigureAwait(false);
            }

            if (Error is not null)
            {
                await Error.ResetAsync().ConfigureAwait(false);
            }
        }
    }
}
