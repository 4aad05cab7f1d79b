using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Berth.Core.Streaming;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>
/// A node agent stand-in: exec runs a tiny in-memory interpreter (echo, cat, exit N, sh -c 'exit N', size, warn),
/// attach says which container it reached, logs are two fixed lines, and port-forward connects to loopback
/// ports the test registered. Every request is recorded so tests can see what reached the backend.
/// </summary>
internal sealed class FakePodStreamingBackend : IPodStreamingBackend
{
    /// <summary>A pod whose container is not running: the backend refuses with this message.</summary>
    public const string NotRunningPod = "stopped";

    public ConcurrentQueue<PodExecRequest> Execs { get; } = new();

    public ConcurrentQueue<PodLogRequest> Logs { get; } = new();

    public ConcurrentQueue<(string Namespace, string Pod, int Port)> Forwards { get; } = new();

    /// <summary>Pod port → loopback port a test server listens on.</summary>
    public ConcurrentDictionary<int, int> Ports { get; } = new();

    public async Task StreamLogsAsync(PodLogRequest request, Stream output, CancellationToken cancellationToken)
    {
        Logs.Enqueue(request);
        if (request.Pod == NotRunningPod)
        {
            throw new PodStreamingException(400, "BadRequest", $"container \"{request.Container}\" in pod \"{request.Pod}\" is waiting to start: ContainerCreating");
        }

        await output.WriteAsync(Encoding.UTF8.GetBytes($"log line 1 of {request.Container}\nlog line 2 of {request.Container}\n"), cancellationToken);
    }

    public async Task<int> ExecAsync(PodExecRequest request, PodExecStreams streams, CancellationToken cancellationToken)
    {
        Execs.Enqueue(request);
        if (request.Pod == NotRunningPod)
        {
            throw new PodStreamingException(400, "BadRequest", $"container \"{request.Container}\" in pod \"{request.Pod}\" is not running");
        }

        var command = request.Command.ToArray();
        if (command.Length == 0)
        {
            await WriteAsync(streams.Stdout, $"attached to {request.Container}\n", cancellationToken);
            return 0;
        }

        if (command is ["sh", "-c", var script])
        {
            command = script.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        switch (command)
        {
            case ["echo", .. var words]:
                await WriteAsync(streams.Stdout, string.Join(' ', words) + "\n", cancellationToken);
                return 0;
            case ["cat"]:
                if (streams.Stdin is not null && streams.Stdout is not null)
                {
                    await streams.Stdin.CopyToAsync(streams.Stdout, cancellationToken);
                }

                return 0;
            case ["exit", var code]:
                return int.Parse(code, CultureInfo.InvariantCulture);
            case ["warn", .. var words]:
                await WriteAsync(streams.Stderr, string.Join(' ', words) + "\n", cancellationToken);
                return 0;
            case ["size"]:
                // Prints the first terminal size the client sent (stty size order: rows, columns).
                if (streams.Resize is null)
                {
                    await WriteAsync(streams.Stdout, "no tty\n", cancellationToken);
                    return 1;
                }

                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    var size = await streams.Resize.ReadAsync(timeout.Token);
                    await WriteAsync(streams.Stdout, $"{size.Height} {size.Width}\n", cancellationToken);
                }

                return 0;
            default:
                await WriteAsync(streams.Stderr ?? streams.Stdout, $"fake: {command[0]}: not found\n", cancellationToken);
                return 127;
        }
    }

    public async Task<Stream> PortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        Forwards.Enqueue((@namespace, pod, port));
        if (!Ports.TryGetValue(port, out var local))
        {
            throw new PodStreamingException(500, "InternalError", $"dial tcp 10.88.0.2:{port}: connect: connection refused");
        }

        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", local, cancellationToken);
        return client.GetStream();
    }

    private static async Task WriteAsync(Stream? stream, string text, CancellationToken cancellationToken)
    {
        if (stream is not null)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        }
    }
}
