using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using Berth.Core.Streaming;
using k8s.Models;

namespace Berth.E2E;

/// <summary>
/// The node agent's streaming backend (what the API server's exec/attach/portforward/log protocols call), driven
/// directly against real sandboxed pods; and pods/log over HTTPS for the query handling the API server owns.
/// </summary>
public sealed class NodeAgentStreamingTests(InProcessNodeFixture fixture) : IClassFixture<InProcessNodeFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IPodStreamingBackend Backend => fixture.Node.Agent;

    private static V1Pod Busybox(string name, string script, bool stdin = false, string image = "busybox:1.36") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Image = image,
                    Command = ["sh", "-c", script],
                    Stdin = stdin,
                    Env = [new V1EnvVar { Name = "GREETING", Value = "hello from the spec" }],
                },
            ],
        },
    };

    private async Task<(int Code, string Stdout, string Stderr)> ExecAsync(string pod, string[] command, string? stdin = null)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var input = stdin is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        var code = await Backend.ExecAsync(new PodExecRequest("agent", pod, "main", command) { Stdin = stdin is not null, Stdout = true, Stderr = true },
            new PodExecStreams(input, stdout, stderr, null), Ct);
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Exec_connects_stdin_stdout_and_stderr_and_returns_the_exit_code_with_the_containers_environment()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        await fixture.RunPodAsync(Busybox("exec-pipes", "exec sleep 3600"));

        var (code, stdout, stderr) = await ExecAsync("exec-pipes",
            ["sh", "-c", "echo out; echo err >&2; read line; echo \"got $line\"; echo \"$GREETING on $(hostname)\"; exit 7"], "hello\n");
        var missing = await ExecAsync("exec-pipes", ["no-such-command"]);

        Assert.True(code == 7, $"exit {code}, stdout {stdout}, stderr {stderr}");
        Assert.Equal("out\ngot hello\nhello from the spec on exec-pipes\n", stdout);
        Assert.Equal("err\n", stderr);
        Assert.Equal(127, missing.Code);
        Assert.Contains("no-such-command", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_with_a_tty_runs_on_a_terminal_that_follows_resize()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        await fixture.RunPodAsync(Busybox("exec-tty", "exec sleep 3600"));
        var resize = Channel.CreateUnbounded<TerminalSize>();
        var stdin = new Pipe();
        using var stdout = new MemoryStream();

        var exec = Backend.ExecAsync(new PodExecRequest("agent", "exec-tty", "main", ["sh", "-c", "read go; tty; stty size; echo $TERM; exit 3"])
        {
            Stdin = true,
            Stdout = true,
            Tty = true,
        }, new PodExecStreams(stdin.Reader, stdout, null, resize.Reader), Ct);
        await resize.Writer.WriteAsync(new TerminalSize(100, 40), Ct);
        await Task.Delay(500, Ct);
        await stdin.WriteAsync("go\n");
        var code = await exec.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var output = Encoding.UTF8.GetString(stdout.ToArray());

        Assert.True(code == 3, $"exit {code}: {output}");
        Assert.Contains("/dev/pts/", output, StringComparison.Ordinal);
        Assert.Contains("40 100", output, StringComparison.Ordinal);
        Assert.Contains("xterm", output, StringComparison.Ordinal);
        // A terminal: CRLF line endings and the typed input echoed back.
        Assert.Contains("go\r\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_feeds_stdin_to_the_main_process_and_streams_what_it_writes()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        await fixture.RunPodAsync(Busybox("attach", "while read line; do echo \"echo: $line\"; [ \"$line\" = bye ] && exit 4; done", stdin: true));
        var stdin = new Pipe();
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();

        var attach = Backend.ExecAsync(new PodExecRequest("agent", "attach", "main", []) { Stdin = true, Stdout = true, Stderr = true },
            new PodExecStreams(stdin.Reader, stdout, stderr, null), Ct);
        await Task.Delay(500, Ct);
        await stdin.WriteAsync("hi\n");
        await stdin.WriteAsync("bye\n");
        var code = await attach.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(4, code);
        Assert.Equal("echo: hi\necho: bye\n", Encoding.UTF8.GetString(stdout.ToArray()));
    }

    [Fact]
    public async Task Port_forward_connects_to_the_pods_port_from_the_hub_and_a_closed_port_is_a_clear_error()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        await fixture.RunPodAsync(Busybox("forward", "mkdir -p /www && echo forwarded > /www/index.html && exec httpd -f -p 8080 -h /www"));

        string response = "";
        for (var attempt = 0; attempt < 50 && !response.Contains("forwarded", StringComparison.Ordinal); attempt++)
        {
            try
            {
                await using var stream = await Backend.PortForwardAsync("agent", "forward", 8080, Ct);
                await stream.WriteAsync("GET /index.html HTTP/1.0\r\n\r\n"u8.ToArray(), Ct);
                response = await new StreamReader(stream).ReadToEndAsync(Ct);
            }
            catch (PodStreamingException)
            {
                await Task.Delay(100, Ct);
            }
        }

        var refused = await Assert.ThrowsAsync<PodStreamingException>(() => Backend.PortForwardAsync("agent", "forward", 9, Ct));
        var missing = await Assert.ThrowsAsync<PodStreamingException>(() => Backend.PortForwardAsync("agent", "nope", 80, Ct));

        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.EndsWith("forwarded\n", response, StringComparison.Ordinal);
        Assert.Equal(500, refused.StatusCode);
        Assert.Contains("connect: connection refused", refused.Message, StringComparison.Ordinal);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal("pods \"nope\" not found", missing.Message);
    }

    [Fact]
    public async Task Logs_answer_upstreams_errors_for_a_waiting_container_an_unknown_one_and_a_missing_previous_run()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var waiting = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "no-image" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "registry.example.com/nothing:1" }] },
        };
        await fixture.RunPodAsync(waiting, p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == "ErrImagePull");
        await fixture.RunPodAsync(Busybox("logs-once", "echo only run; exec sleep 3600"));

        async Task<PodStreamingException> Fails(PodLogRequest request) =>
            await Assert.ThrowsAsync<PodStreamingException>(() => Backend.StreamLogsAsync(request, Stream.Null, Ct));
        var notStarted = await Fails(new PodLogRequest("agent", "no-image", "main"));
        var unknown = await Fails(new PodLogRequest("agent", "logs-once", "sidecar"));
        var previous = await Fails(new PodLogRequest("agent", "logs-once", "main") { Previous = true });
        var gone = await Fails(new PodLogRequest("agent", "nope", "main"));

        Assert.Equal((400, "container \"main\" in pod \"no-image\" is waiting to start: ErrImagePull"), (notStarted.StatusCode, notStarted.Message));
        Assert.Equal((400, "container sidecar is not valid for pod logs-once"), (unknown.StatusCode, unknown.Message));
        Assert.Equal((400, "previous terminated container \"main\" in pod \"logs-once\" not found"), (previous.StatusCode, previous.Message));
        Assert.Equal(404, gone.StatusCode);
    }

    [Fact]
    public async Task Pods_log_over_HTTPS_validates_PodLogOptions_and_defaults_the_container_as_upstream()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var two = Busybox("two", "echo from main; exec sleep 3600");
        two.Spec.Containers.Add(new V1Container { Name = "side", Image = "busybox:1.36", Command = ["sh", "-c", "echo from side; exec sleep 3600"] });
        await fixture.RunPodAsync(two);
        var annotated = Busybox("annotated", "echo from main; exec sleep 3600");
        annotated.Metadata.Annotations = new Dictionary<string, string> { ["kubectl.kubernetes.io/default-container"] = "side" };
        annotated.Spec.Containers.Add(new V1Container { Name = "side", Image = "busybox:1.36", Command = ["sh", "-c", "echo from side; exec sleep 3600"] });
        await fixture.RunPodAsync(annotated);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { BaseAddress = fixture.Server.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Server.Token);
        async Task<(int Code, string Body)> Get(string query)
        {
            using var response = await http.GetAsync($"/api/v1/namespaces/agent/pods/{query}", Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                // A metav1.Status: its message is what kubectl prints.
                using var status = System.Text.Json.JsonDocument.Parse(body);
                body = status.RootElement.GetProperty("message").GetString()!;
            }

            return ((int)response.StatusCode, body);
        }

        var ambiguous = await Get("two/log");
        var invalid = await Get("two/log?container=main&tailLines=-1&limitBytes=0");
        var both = await Get("two/log?container=main&sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z");
        var side = await Get("two/log?container=side");
        var defaulted = await Get("annotated/log");
        var stamped = await Get("two/log?container=main&timestamps=true&tailLines=1");

        Assert.Equal(400, ambiguous.Code);
        Assert.Equal("a container name must be specified for pod two, choose one of: [main side]", ambiguous.Body);
        Assert.Equal(422, invalid.Code);
        Assert.Equal("PodLogOptions \"two\" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]",
            invalid.Body);
        Assert.Equal(422, both.Code);
        // Upstream reports this error on the empty field path, so its text starts with ": " (field.Error.Error()).
        Assert.Equal("PodLogOptions \"two\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", both.Body);
        Assert.Equal((200, "from side\n"), side);
        Assert.Equal((200, "from side\n"), defaulted);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT[\d:.]+Z from main\n$", stamped.Body);
    }

    /// <summary>A stdin the test writes to while the backend reads it, like a client's stream.</summary>
    private sealed class Pipe
    {
        private readonly System.IO.Pipelines.Pipe _pipe = new();

        public Stream Reader => _pipe.Reader.AsStream();

        public async Task WriteAsync(string text)
        {
            await _pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));
            await _pipe.Writer.FlushAsync();
        }
    }
}
