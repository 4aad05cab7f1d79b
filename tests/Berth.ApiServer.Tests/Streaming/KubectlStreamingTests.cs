using System.Net.Sockets;
using System.Text;

namespace Berth.ApiServer.Tests.Streaming;

/// <summary>
/// Real kubectl against a real in-process server whose pod streaming goes to a fake backend, with exit codes, stdin,
/// a TTY with its size, and the errors kubectl prints. The versions cover every transport: 1.33 (exec over WebSocket
/// v5.channel.k8s.io, port-forward as SPDY tunnelled in a WebSocket), 1.30 (WebSocket exec, SPDY port-forward),
/// 1.29 (SPDY offering v5 first) and 1.27 (SPDY, v4).
/// </summary>
public sealed class KubectlStreamingTests : IClassFixture<StreamingServer>
{
    private readonly StreamingServer _server;

    public KubectlStreamingTests(StreamingServer server) => _server = server;

    public static TheoryData<string> Versions => ["1.33", "1.30", "1.29", "1.27"];

    private KubectlRunner Kubectl(string version) => new(_server, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_prints_the_command_output(string version)
    {
        var result = await Kubectl(version).RunAsync("exec", "web-0", "--", "echo", "hi", "there");

        result.ShouldSucceed();
        Assert.Equal("hi there\n", result.Stdout);
        Assert.Contains(_server.Backend.Execs, e => e is { Pod: "web-0", Container: "app", Tty: false } && e.Command.SequenceEqual(["echo", "hi", "there"]));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_with_stdin_passes_it_through_and_its_end_reaches_the_command(string version)
    {
        var input = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i} of the standard input\n"));

        var result = await Kubectl(version).RunWithStdinAsync(input, "exec", "-i", "web-0", "--", "cat");

        result.ShouldSucceed();
        Assert.Equal(input, result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_exit_codes_become_kubectls_exit_code(string version)
    {
        var result = await Kubectl(version).RunAsync("exec", "web-0", "--", "sh", "-c", "exit 3");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("command terminated with exit code 3", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_stderr_reaches_kubectls_stderr(string version)
    {
        var result = await Kubectl(version).RunAsync("exec", "web-0", "--", "warn", "disk", "almost", "full");

        result.ShouldSucceed();
        Assert.Equal("disk almost full\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_with_a_terminal_sends_the_tty_flag_and_its_size(string version)
    {
        var result = await Kubectl(version).RunInTerminalAsync(45, 123, "exec", "-it", "web-0", "--", "size");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("45 123", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(_server.Backend.Execs, e => e is { Tty: true, Stdin: true, Stderr: false } && e.Command.SequenceEqual(["size"]));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Attach_reaches_the_backend_with_no_command(string version)
    {
        var result = await Kubectl(version).RunAsync("attach", "annotated");

        result.ShouldSucceed();
        Assert.Contains("attached to b", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(_server.Backend.Execs, e => e is { Pod: "annotated", Container: "b" } && e.Command.Count == 0);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Exec_into_a_missing_pod_prints_not_found(string version)
    {
        var result = await Kubectl(version).RunAsync("exec", "nope", "--", "echo", "hi");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("pods \"nope\" not found", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_backend_refusal_is_printed_by_kubectl(string version)
    {
        var result = await Kubectl(version).RunAsync("exec", FakePodStreamingBackend.NotRunningPod, "--", "echo", "hi");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"container \"app\" in pod \"{FakePodStreamingBackend.NotRunningPod}\" is not running", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Port_forward_round_trips_through_the_backend(string version)
    {
        await using var forward = Kubectl(version).Start("port-forward", "pod/web-0", ":80");
        var local = await forward.LocalPortAsync(TimeSpan.FromSeconds(60));

        // Two connections, one after the other, and a payload larger than a SPDY window.
        for (var round = 0; round < 2; round++)
        {
            var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"round {round} hello through port-forward\n", 8000)));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", local);
            var stream = client.GetStream();
            var reading = ReadAllAsync(stream);
            await stream.WriteAsync(payload);
            client.Client.Shutdown(SocketShutdown.Send);
            var echoed = await reading.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(payload.Length, echoed.Length);
            Assert.True(payload.AsSpan().SequenceEqual(echoed));
        }

        Assert.Contains(_server.Backend.Forwards, f => f is { Namespace: "default", Pod: "web-0", Port: 80 });
        Assert.False(forward.HasExited, forward.Output);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Port_forward_to_a_port_the_backend_cannot_reach_prints_upstreams_error(string version)
    {
        await using var forward = Kubectl(version).Start("port-forward", "pod/web-0", ":81");
        var local = await forward.LocalPortAsync(TimeSpan.FromSeconds(60));

        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", local);
            var stream = client.GetStream();
            await ReadAllAsync(stream).WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.True(await forward.WaitForOutputAsync("error forwarding port 81 to pod web-0", TimeSpan.FromSeconds(30)), forward.Output);
        Assert.Contains("connect: connection refused", forward.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Logs_stream_the_backends_output(string version)
    {
        var result = await Kubectl(version).RunAsync("logs", "web-0", "--tail=5");

        result.ShouldSucceed();
        Assert.Equal("log line 1 of app\nlog line 2 of app\n", result.Stdout);
        Assert.Contains(_server.Backend.Logs, l => l is { Pod: "web-0", Container: "app", TailLines: 5 });
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Stopping_the_server_ends_open_port_forwards_instead_of_waiting_for_them(string version)
    {
        var server = new StreamingServer();
        await server.InitializeAsync();
        try
        {
            await using var forward = new KubectlRunner(server, version).Start("port-forward", "pod/web-0", ":80");
            var local = await forward.LocalPortAsync(TimeSpan.FromSeconds(60));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", local);
            await client.GetStream().WriteAsync("held open"u8.ToArray());
            Assert.True(await WaitUntilAsync(() => server.Echo.Connections > 0), forward.Output);

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            await server.Server.StopAsync();

            // The host's own shutdown timeout is 30 s; a session that ignored shutdown would hold it that long.
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {stopwatch.Elapsed}");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer);
        }
        catch (IOException)
        {
            // A reset after the data: what was read counts.
        }

        return buffer.ToArray();
    }
}
