using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Berth.Bench;

/// <summary>
/// bench group "api": a real <c>berth serve</c> child process (SQLite store) measured from this separate load
/// process over TLS keep-alive: readiness time, idle RSS, GET throughput and p99, pod create throughput, and
/// the Table for 5,000 pods. The server runs the simulated node: these are the API server's figures, and the
/// sandbox's own costs (a real process per created pod) are the pod group's.
/// </summary>
internal static class ApiBenchmarks
{
    private const int Workers = 16;

    // BERTH_BENCH_SECONDS lengthens each measured run (default 5 s), for profiling runs.
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("BERTH_BENCH_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 5);

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        // BERTH_BENCH_ONLY=ready,rss,get,create,table narrows the run while iterating on one figure.
        var only = (Environment.GetEnvironmentVariable("BERTH_BENCH_ONLY") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Wanted(string figure) => only.Length == 0 || only.Contains(figure);
        await Console.Error.WriteLineAsync("api: measuring " + ServeProcess.Describe());

        if (Wanted("ready"))
        {
            var readyTimes = new List<double>();
            var readyCpu = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                await using var probe = await ServeProcess.StartAsync();
                readyTimes.Add(probe.ReadyMs);
                readyCpu.Add(probe.ReadyCpuMs);
            }

            Report("serve_ready_ms", Median(readyTimes), "ms");
            // The server's own CPU time (user + system) at that moment: steadier than wall time on a shared machine.
            Report("serve_ready_cpu_ms", Median(readyCpu), "ms");
        }

        if (!Wanted("rss") && !Wanted("get") && !Wanted("create") && !Wanted("table"))
        {
            return;
        }

        await using var server = await ServeProcess.StartAsync();
        if (Wanted("rss"))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            Report("serve_idle_rss_mb", server.StatusMegabytes("VmRSS"), "MB");
            // Of that, the private anonymous part (GC heap, JIT'd code, stacks); the rest is mapped files (the
            // runtime, the framework and our assemblies), shared with every other process that maps them.
            Report("serve_idle_rss_anon_mb", server.StatusMegabytes("RssAnon") + server.StatusMegabytes("RssShmem"), "MB");
        }

        using var client = server.CreateClient();
        if (Wanted("get"))
        {
            await CreateNamespaceAsync(client, "bench");
            var cm = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target","namespace":"bench"},"data":{"k":"v"}}""";
            (await client.PostAsync("/api/v1/namespaces/bench/configmaps", Json(cm))).EnsureSuccessStatusCode();

            // Warm-up, then the measured GET run.
            await RunWorkersAsync(TimeSpan.FromSeconds(2), _ => GetAsync(client, "/api/v1/namespaces/bench/configmaps/target"));
            var cpuBefore = server.CpuMilliseconds();
            var gets = await RunWorkersAsync(Duration, _ => GetAsync(client, "/api/v1/namespaces/bench/configmaps/target"));
            var cpu = server.CpuMilliseconds() - cpuBefore;
            Report("api_get_ops_per_s", gets.Count / Duration.TotalSeconds, "ops/s");
            Report("api_get_p99_ms", Percentile(gets, 0.99), "ms");
            Report("api_get_server_cpu_us_per_op", cpu * 1000 / gets.Count, "us");
        }

        if (Wanted("create"))
        {
            await CreateNamespaceAsync(client, "pods");
            var next = 0;
            Func<int, Task> create = async _ =>
            {
                var n = Interlocked.Increment(ref next);
                var pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod-" + n.ToString(CultureInfo.InvariantCulture)
                    + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}";
                using var response = await client.PostAsync("/api/v1/namespaces/pods/pods", Json(pod));
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"create failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            };

            // A short warm-up (JIT, first pages of the database), then the measured run.
            await RunWorkersAsync(TimeSpan.FromSeconds(1), create);
            var cpuBefore = server.CpuMilliseconds();
            var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var creates = await RunWorkersAsync(Duration, create);
            var cpu = server.CpuMilliseconds() - cpuBefore;
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalMilliseconds;
            Report("api_create_ops_per_s", creates.Count / Duration.TotalSeconds, "ops/s");
            // Server CPU per create, controllers' reactions included (the scheduler binds, the simulated node
            // starts each pod): the figure that does not depend on how much of a shared machine the run got.
            Report("api_create_server_cpu_us_per_op", cpu * 1000 / creates.Count, "us");
            // The load generator's own CPU per create (TLS, HTTP, JSON): it shares the machine's cores with the server,
            // so server CPU + this figure bound the rate two cores can reach.
            Report("api_create_client_cpu_us_per_op", clientCpu * 1000 / creates.Count, "us");
        }

        if (!Wanted("table"))
        {
            return;
        }

        // Exactly 5,000 pods in their own namespace for the table.
        await CreateNamespaceAsync(client, "table");
        var made = 0;
        await RunWorkersAsync(TimeSpan.FromMinutes(5), async _ =>
        {
            var n = Interlocked.Increment(ref made);
            if (n > 5000)
            {
                throw new OperationCanceledException();
            }

            var pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-" + n.ToString(CultureInfo.InvariantCulture)
                + "\"},\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}";
            using var response = await client.PostAsync("/api/v1/namespaces/table/pods", Json(pod));
            response.EnsureSuccessStatusCode();
        });
        const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        await MeasureListAsync(server, client, "api_list_5k_pods_table", "/api/v1/namespaces/table/pods", TableAccept, "namespace");
        // The same class of cost: kubectl get pods -o json (the stored bytes in a PodList), and kubectl get pods -A
        // (a cluster-scoped Table over every namespace: the 5,000 plus the create run's pods when it ran).
        await MeasureListAsync(server, client, "api_list_5k_pods_json", "/api/v1/namespaces/table/pods", "application/json", "namespace");
        await MeasureListAsync(server, client, "api_list_all_pods_table", "/api/v1/pods", TableAccept, "cluster");
    }

    /// <summary>
    /// 12 GETs of one list (the first 2 not counted), reported as the median of the server's own handler duration
    /// (upstream's apiserver_request_duration_seconds, read from /metrics around each request: the difference of its
    /// _sum), the median client-timed figure (TLS transfer and this process's read included), and the server process's
    /// CPU per request (all threads: the controllers' and the JIT's background work too).
    /// </summary>
    private static async Task MeasureListAsync(ServeProcess server, HttpClient client, string name, string path, string accept, string scope)
    {
        var serverTimes = new List<double>();
        var clientTimes = new List<double>();
        var cpu = 0.0;
        var bytes = 0L;
        for (var i = 0; i < 12; i++)
        {
            var durationBefore = await ListDurationSecondsAsync(client, scope);
            var cpuBefore = server.CpuMilliseconds();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            var watch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            var cpuUsed = server.CpuMilliseconds() - cpuBefore;
            var duration = await ListDurationSecondsAsync(client, scope) - durationBefore;
            var expectedKind = accept.Contains("as=Table", StringComparison.Ordinal) ? "\"Table\"" : "\"PodList\"";
            if (!response.IsSuccessStatusCode || !Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 64)).Contains(expectedKind, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{path}: not a {expectedKind}: {(int)response.StatusCode}");
            }

            if (i >= 2)
            {
                serverTimes.Add(duration * 1000);
                clientTimes.Add(watch.Elapsed.TotalMilliseconds);
                cpu += cpuUsed;
                bytes = body.Length;
            }
        }

        Report(name + "_ms", Median(serverTimes), "ms");
        Report(name + "_client_ms", Median(clientTimes), "ms");
        Report(name + "_server_cpu_ms", cpu / serverTimes.Count, "ms");
        Report(name + "_kb", bytes / 1024.0, "KiB");
    }

    /// <summary>apiserver_request_duration_seconds_sum of core/v1 pods LIST at <paramref name="scope"/>, from /metrics.</summary>
    private static async Task<double> ListDurationSecondsAsync(HttpClient client, string scope)
    {
        var text = await client.GetStringAsync("/metrics");
        var prefix = "apiserver_request_duration_seconds_sum{component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"pods\",scope=\""
            + scope + "\",subresource=\"\",verb=\"LIST\",version=\"v1\"} ";
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static async Task GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("GET failed: " + (int)response.StatusCode);
        }
    }

    /// <summary>Runs <see cref="Workers"/> loops until the time is up; returns each call's latency in ms.</summary>
    private static async Task<List<double>> RunWorkersAsync(TimeSpan duration, Func<int, Task> call)
    {
        var latencies = new List<double>[Workers];
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(w);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return latencies.SelectMany(l => l ?? []).ToList();
    }

    private static async Task CreateNamespaceAsync(HttpClient client, string name)
    {
        var body = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"}}";
        (await client.PostAsync("/api/v1/namespaces", Json(body))).EnsureSuccessStatusCode();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.##} {unit}"));

    /// <summary>A berth serve child process on a free port with a temp data dir, killed by PID on dispose.</summary>
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _dataDir;

        private ServeProcess(Process process, string dataDir, int port, double readyMs, double readyCpuMs)
        {
            _process = process;
            _dataDir = dataDir;
            Port = port;
            ReadyMs = readyMs;
            ReadyCpuMs = readyCpuMs;
        }

        public int Port { get; }

        public double ReadyMs { get; }

        public double ReadyCpuMs { get; }

        public static async Task<ServeProcess> StartAsync()
        {
            var dataDir = Directory.CreateTempSubdirectory("berth-bench-").FullName;
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var (fileName, prefix) = Command();
            var start = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in (string[])[.. prefix, "serve", "--store", "sqlite", "--runtime", "simulated", "--data-dir", dataDir, "--listen", $"127.0.0.1:{port}"])
            {
                start.ArgumentList.Add(a);
            }

            using var probe = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            })
            { Timeout = TimeSpan.FromSeconds(1) };
            var watch = Stopwatch.StartNew();
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            while (true)
            {
                try
                {
                    using var response = await probe.GetAsync($"https://127.0.0.1:{port}/readyz");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                if (watch.Elapsed > TimeSpan.FromSeconds(30) || process.HasExited)
                {
                    throw new InvalidOperationException("berth serve did not become ready");
                }

                await Task.Delay(5);
            }

            var ready = watch.Elapsed.TotalMilliseconds;
            var readyCpu = CpuMilliseconds(process.Id);
            while (!File.Exists(Path.Combine(dataDir, "kubeconfig")))
            {
                await Task.Delay(5);
            }

            return new ServeProcess(process, dataDir, port, ready, readyCpu);
        }

        /// <summary>
        /// What users run: the binary <c>./berth</c> publishes (<c>artifacts/cli/berth</c>, which scripts/bench brings up
        /// to date first), or <c>BERTH_BENCH_SERVE</c>; without either, the framework-dependent build next to this bench.
        /// </summary>
        public static string Describe() => string.Join(' ', [Command().FileName, .. Command().Prefix]);

        private static (string FileName, string[] Prefix) Command()
        {
            var chosen = Environment.GetEnvironmentVariable("BERTH_BENCH_SERVE");
            if (string.IsNullOrEmpty(chosen))
            {
                var dir = new DirectoryInfo(AppContext.BaseDirectory);
                while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
                {
                    dir = dir.Parent;
                }

                var published = dir is null ? null : Path.Combine(dir.FullName, "artifacts", "cli", "berth");
                chosen = published is not null && File.Exists(published) ? published : null;
            }

            return chosen is null ? ("dotnet", [Path.Combine(AppContext.BaseDirectory, "berth.dll")]) : (chosen, []);
        }

        public double StatusMegabytes(string field)
        {
            var line = File.ReadAllLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            var kb = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return kb / 1024;
        }

        public double CpuMilliseconds() => CpuMilliseconds(_process.Id);

        /// <summary>utime + stime from /proc/PID/stat (fields 14 and 15, in clock ticks of 10 ms).</summary>
        private static double CpuMilliseconds(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
        }

        public HttpClient CreateClient()
        {
            var token = File.ReadAllText(Path.Combine(_dataDir, "token")).Trim();
            var handler = new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
                MaxConnectionsPerServer = Workers,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            };
            var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
