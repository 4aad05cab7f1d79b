using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Probes;

/// <summary>
/// Runs one probe attempt (pkg/kubelet/prober): exec inside the container; httpGet and tcpSocket from the host
/// through a socket opened in the hub namespace (the host has no route to pod addresses). The failure messages
/// follow kubelet's prober output.
/// </summary>
internal sealed class ProbeRunner(IPodRuntime runtime, TimeProvider time)
{
    public async Task<(bool Success, string Output)> RunAsync(PodSandbox sandbox, ContainerProcess process, V1Container container,
        V1Probe probe, IReadOnlyList<KeyValuePair<string, string>> environment, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        if (probe.Exec is { } exec)
        {
            var result = await runtime.ExecAsync(process, [.. exec.Command ?? []], environment, timeout, cancellationToken).ConfigureAwait(false);
            if (result.TimedOut)
            {
                return (false, $"command \"{string.Join(' ', exec.Command ?? [])}\" timed out");
            }

            var output = (result.StandardOutput + result.StandardError).Trim();
            return (result.ExitCode == 0, output);
        }

        using var deadline = new CancellationTokenSource(timeout, time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        if (probe.TcpSocket is { } tcp)
        {
            var port = ResolvePort(tcp.Port, container);
            try
            {
                using var socket = await runtime.ConnectAsync(sandbox, port, cts.Token).ConfigureAwait(false);
                return (true, "");
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (false, $"dial tcp {sandbox.PodIP}:{port}: {Describe(e)}");
            }
        }

        if (probe.HttpGet is { } http)
        {
            var port = ResolvePort(http.Port, container);
            var path = string.IsNullOrEmpty(http.Path) ? "/" : http.Path.StartsWith('/') ? http.Path : "/" + http.Path;
            var url = $"{(http.Scheme ?? "HTTP").ToLowerInvariant()}://{sandbox.PodIP}:{port}{path}";
            if (string.Equals(http.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase))
            {
                return (false, $"Get \"{url}\": HTTPS probes are not supported by Berth yet");
            }

            try
            {
                using var socket = await runtime.ConnectAsync(sandbox, port, cts.Token).ConfigureAwait(false);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                var request = new StringBuilder();
                request.Append(CultureInfo.InvariantCulture, $"GET {path} HTTP/1.1\r\n");
                var headers = http.HttpHeaders ?? [];
                if (!headers.Any(h => string.Equals(h.Name, "Host", StringComparison.OrdinalIgnoreCase)))
                {
                    request.Append(CultureInfo.InvariantCulture, $"Host: {sandbox.PodIP}:{port}\r\n");
                }

                if (!headers.Any(h => string.Equals(h.Name, "User-Agent", StringComparison.OrdinalIgnoreCase)))
                {
                    request.Append("User-Agent: kube-probe/1.33\r\n");
                }

                if (!headers.Any(h => string.Equals(h.Name, "Accept", StringComparison.OrdinalIgnoreCase)))
                {
                    request.Append("Accept: */*\r\n");
                }

                foreach (var h in headers)
                {
                    request.Append(CultureInfo.InvariantCulture, $"{h.Name}: {h.Value}\r\n");
                }

                request.Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cts.Token).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.ASCII);
                var statusLine = await reader.ReadLineAsync(cts.Token).ConfigureAwait(false) ?? "";
                var parts = statusLine.Split(' ', 3);
                if (parts.Length < 2 || !int.TryParse(parts[1], out var code))
                {
                    return (false, $"Get \"{url}\": malformed HTTP response \"{statusLine}\"");
                }

                // kubelet: 200 <= code < 400 is success (redirects to other hosts are not followed).
                return code is >= 200 and < 400 ? (true, "") : (false, $"HTTP probe failed with statuscode: {code}");
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (false, $"Get \"{url}\": {Describe(e)}");
            }
        }

        return (false, "probe has no exec, httpGet or tcpSocket handler Berth supports");
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connect: connection refused",
        OperationCanceledException => "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        _ => e.Message,
    };

    internal static int ResolvePort(IntOrString port, V1Container container)
    {
        var value = port?.Value ?? "";
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        return container.Ports?.FirstOrDefault(p => p.Name == value)?.ContainerPort
            ?? throw new ContainerStartException(ContainerReasons.CreateContainerConfigError,
                $"couldn't find port \"{value}\" in container \"{container.Name}\"");
    }
}
