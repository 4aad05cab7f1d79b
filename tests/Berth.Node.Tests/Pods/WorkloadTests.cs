using System.Net.Sockets;
using System.Text;
using Berth.Node.Pods;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Pods;

/// <summary>The catalog's real workloads (host nginx and PostgreSQL) in sandboxes.</summary>
public sealed class WorkloadTests(RuntimeFixture fixture) : IDisposable
{
    private readonly SandboxRuntime _runtime = fixture.Runtime;
    private readonly string _pv = Directory.CreateTempSubdirectory("berth-pv-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_pv, recursive: true);

    [Fact]
    public async Task Nginx_serves_its_docroot_from_a_volume_and_its_httpGet_readiness_probe_succeeds()
    {
        await File.WriteAllTextAsync(Path.Combine(_pv, "index.html"), "hello from the volume\n", Ct);
        // A provisioned volume directory is world-readable; nginx's workers run as www-data.
        File.SetUnixFileMode(_pv, (UnixFileMode)0b111_101_101);
        var c = new V1Container
        {
            Name = "nginx",
            Image = "docker.io/library/nginx:1.27",
            Ports = [new V1ContainerPort { Name = "http", ContainerPort = 80 }],
            VolumeMounts = [new V1VolumeMount { Name = "www", MountPath = "/usr/share/nginx/html" }],
            ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/", Port = "http" }, PeriodSeconds = 1 },
        };
        var pod = TestPods.Pod("web-0", c);
        pod.Spec.Volumes = [new V1Volume { Name = "www" }];
        await using var worker = new PodWorker(_runtime, pod, new PodWorkerOptions { VolumeSources = new Dictionary<string, string> { ["www"] = _pv } });
        worker.Start();
        await PodWorkerTests.ReadUntilAsync(worker, [], e => e is ProbeResultChanged { Kind: ProbeKind.Readiness, Success: true });
        var status = worker.BuildStatus();
        Assert.True(status.ContainerStatuses[0].Ready);
        Assert.Equal("True", status.Conditions.Single(x => x.Type == "Ready").Status);

        using var socket = await _runtime.ConnectAsync(worker.Sandbox!, 80, Ct);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync("GET /index.html HTTP/1.0\r\nHost: web-0\r\n\r\n"u8.ToArray(), Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync(Ct);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.EndsWith("hello from the volume\n", response, StringComparison.Ordinal);

        // nginx logs to stdout: the access log line is in the container log.
        var log = await TestPods.WaitForLogAsync(worker.RunningContainer("nginx")!.LogPath,
            l => l.Any(x => x.Contains("GET /index.html", StringComparison.Ordinal)));
        Assert.Contains(log, x => x.Contains("GET /index.html", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Postgres_initialises_an_empty_PGDATA_and_psql_works_inside_the_pod()
    {
        var c = new V1Container
        {
            Name = "postgres",
            Image = "postgres:16",
            Env =
            [
                new V1EnvVar { Name = "POSTGRES_PASSWORD", Value = "s3cret" },
                new V1EnvVar { Name = "POSTGRES_DB", Value = "app" },
                new V1EnvVar { Name = "PGDATA", Value = "/var/lib/postgresql/data/pgdata" },
                // The image's own knob; skipping fsync keeps the suite fast.
                new V1EnvVar { Name = "POSTGRES_INITDB_ARGS", Value = "--no-sync" },
            ],
            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/var/lib/postgresql/data" }],
            ReadinessProbe = new V1Probe
            {
                Exec = new V1ExecAction { Command = ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"] },
                PeriodSeconds = 1,
                TimeoutSeconds = 5,
            },
        };
        // As a local-volume provisioner leaves it: world-writable, so postgres can create PGDATA below it.
        File.SetUnixFileMode(_pv, (UnixFileMode)0b111_111_111);
        var pod = TestPods.Pod("postgres-0", c);
        pod.Spec.Volumes = [new V1Volume { Name = "data" }];
        await using var worker = new PodWorker(_runtime, pod, new PodWorkerOptions { VolumeSources = new Dictionary<string, string> { ["data"] = _pv } });
        worker.Start();
        await PodWorkerTests.ReadUntilAsync(worker, [], e => e is ProbeResultChanged { Kind: ProbeKind.Readiness, Success: true },
            TimeSpan.FromSeconds(60));

        var process = worker.RunningContainer("postgres")!;
        var result = await _runtime.ExecAsync(process, ["psql", "-U", "postgres", "-d", "app", "-Atc", "SELECT current_database(), 6*7"], [],
            TimeSpan.FromSeconds(20), Ct);
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("app|42", result.StandardOutput.Trim());
        var hostname = await _runtime.ExecAsync(process, ["hostname"], [], TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("postgres-0", hostname.StandardOutput.Trim());

        // The data is in the volume's directory on the host, owned by the postgres user.
        Assert.True(File.Exists(Path.Combine(_pv, "pgdata", "PG_VERSION")));

        // Listening on the pod address with password authentication (the image's pg_hba "host all all all scram-sha-256").
        using var socket = await _runtime.ConnectAsync(worker.Sandbox!, 5432, Ct);
        Assert.True(socket.Connected);
    }

    [Fact]
    public async Task Redis_runs_as_the_redis_user_in_data_and_answers_over_the_pod_network()
    {
        var c = new V1Container
        {
            Name = "redis",
            Image = "redis:7",
            Args = ["--appendonly", "yes"],
            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }],
            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 6379 }, PeriodSeconds = 1 },
        };
        var pod = TestPods.Pod("redis-0", c);
        pod.Spec.Volumes = [new V1Volume { Name = "data" }];
        await using var worker = new PodWorker(_runtime, pod, new PodWorkerOptions { VolumeSources = new Dictionary<string, string> { ["data"] = _pv } });
        worker.Start();
        await PodWorkerTests.ReadUntilAsync(worker, [], e => e is ProbeResultChanged { Kind: ProbeKind.Readiness, Success: true });
        var process = worker.RunningContainer("redis")!;
        var set = await _runtime.ExecAsync(process, ["redis-cli", "-h", worker.Sandbox!.PodIP.ToString(), "set", "greeting", "hello"], [],
            TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("OK", set.StandardOutput.Trim());
        // The entrypoint chowned the volume to redis and dropped to that user, as the official image does.
        var owner = await _runtime.ExecAsync(process, ["sh", "-c", "stat -c %U /data/appendonlydir"], [], TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("redis", owner.StandardOutput.Trim());
        Assert.True(Directory.Exists(Path.Combine(_pv, "appendonlydir")));
    }
}
