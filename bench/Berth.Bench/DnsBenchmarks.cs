using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Node.Dns;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// scripts/bench dns: the cluster DNS server under load from a separate load process. As root the server binds the
/// cluster DNS address inside a hub namespace of a sandbox runtime and the load process runs in that namespace (the
/// path pods take); otherwise both use loopback. Figures: <c>dns_qps</c> (closed loop, 64 queries in flight on each of
/// 4 sockets, 4 s) and <c>dns_p99_ms</c> (open loop, 10,000 queries/s for 4 s). The zone holds 50 headless Services of
/// 10 pods and 200 ClusterIP Services; queries mix pod names, headless names (10 A records), Service names, SRV and
/// NXDOMAIN.
/// </summary>
internal static class DnsBenchmarks
{
    private const int Sockets = 4;
    private const int Window = 64;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    public static async Task RunAsync(string[] args)
    {
        _ = args;
        var index = BuildIndex();
        var handler = new ClusterDnsHandler(index);
        SandboxRuntime? runtime = null;
        string? state = null;
        Socket udp;
        Socket tcp;
        string? hubNamespace = null;
        if (LinuxNative.geteuid() == 0)
        {
            state = Path.Combine(Path.GetTempPath(), $"berth-bench-dns-{Environment.ProcessId}");
            runtime = await SandboxRuntime.CreateAsync(new SandboxRuntimeOptions { StateDirectory = state, PodCidr = "10.91.0.0/16" });
            (udp, tcp) = await ClusterDns.BindInHubAsync(runtime.Hub);
            hubNamespace = runtime.Hub.HubNamespaceName;
        }
        else
        {
            udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }

        try
        {
            await using var server = new ClusterDnsServer(handler, null, udp, tcp);
            server.Start();
            var target = (IPEndPoint)server.UdpEndPoint;
            var where = hubNamespace is null ? "loopback" : $"hub namespace {hubNamespace}";
            Console.Error.WriteLine($"dns: server on {target} ({where}), load from a separate process");
            var qps = await RunLoadAsync(hubNamespace, target, "qps");
            var p99 = await RunLoadAsync(hubNamespace, target, "latency");
            Console.WriteLine($"dns_qps: {qps} queries/s");
            Console.WriteLine($"dns_p99_ms: {p99} ms");
        }
        finally
        {
            if (runtime is not null)
            {
                await runtime.DisposeAsync();
                Directory.Delete(state!, recursive: true);
            }
        }
    }

    /// <summary>Starts this binary as the load process (inside the hub namespace when there is one) and reads its figure.</summary>
    private static async Task<string> RunLoadAsync(string? hubNamespace, IPEndPoint target, string mode)
    {
        var self = Environment.ProcessPath!;
        var assembly = typeof(DnsBenchmarks).Assembly.Location;
        var psi = new ProcessStartInfo(hubNamespace is null ? self : "ip")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (hubNamespace is not null)
        {
            foreach (var a in (string[])["netns", "exec", hubNamespace, self])
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in (string[])[assembly, "dns-load", target.Address.ToString(), target.Port.ToString(CultureInfo.InvariantCulture), mode])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dns load process ({mode}) exited with {process.ExitCode}: {output}");
        }

        return output.Trim();
    }

    /// <summary>The load process: `dns-load ADDRESS PORT qps|latency`; prints one number.</summary>
    public static int RunLoad(string[] args)
    {
        var target = new IPEndPoint(IPAddress.Parse(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture));
        var queries = Queries();
        if (args[3] == "qps")
        {
            var total = 0L;
            var threads = Enumerable.Range(0, Sockets).Select(i => new Thread(() =>
            {
                var n = ClosedLoop(target, queries, i);
                Interlocked.Add(ref total, n);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Console.WriteLine((total / Duration.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
        }
        else
        {
            Console.WriteLine(OpenLoopP99(target, queries, 10_000).ToString("F3", CultureInfo.InvariantCulture));
        }

        return 0;
    }

    /// <summary>Keeps <see cref="Window"/> queries in flight on one socket; returns the answers received.</summary>
    private static long ClosedLoop(IPEndPoint target, byte[][] queries, int worker)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        socket.ReceiveTimeout = 200;
        var buffer = new byte[2048];
        var next = worker * 7919;
        void SendOne()
        {
            var q = queries[next++ % queries.Length];
            socket.Send(q);
        }

        // Warm-up: let the server JIT its paths before the clock starts.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < Window; i++)
        {
            SendOne();
        }

        long received = 0;
        var measuring = false;
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (!measuring && warm.Elapsed > TimeSpan.FromSeconds(1))
            {
                measuring = true;
                received = 0;
                sw.Restart();
            }

            if (measuring && sw.Elapsed >= Duration)
            {
                return received;
            }

            try
            {
                socket.Receive(buffer);
                received++;
                SendOne();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // Lost datagrams (a full socket buffer): refill the window.
                for (var i = 0; i < Window; i++)
                {
                    SendOne();
                }
            }
        }
    }

    /// <summary>Sends at a fixed rate regardless of answers (so queueing shows) and returns the p99 latency in ms.</summary>
    private static double OpenLoopP99(IPEndPoint target, byte[][] queries, int rate)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        socket.ReceiveTimeout = 1000;
        var total = (int)(rate * Duration.TotalSeconds);
        var warmup = rate; // the first second is not counted
        var sentAt = new long[total + warmup];
        var latencies = new List<double>(total);
        var receiver = new Thread(() =>
        {
            var buffer = new byte[2048];
            while (true)
            {
                try
                {
                    socket.Receive(buffer);
                    var now = Stopwatch.GetTimestamp();
                    var id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                    var index = FindIndex(sentAt, id);
                    if (index >= warmup)
                    {
                        lock (latencies)
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(sentAt[index], now).TotalMilliseconds);
                        }
                    }
                }
                catch (SocketException)
                {
                    return;
                }
            }
        });
        receiver.Start();
        var start = Stopwatch.GetTimestamp();
        var interval = Stopwatch.Frequency / (double)rate;
        for (var i = 0; i < sentAt.Length; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.SpinWait(20);
            }

            var q = (byte[])queries[i % queries.Length].Clone();
            BinaryPrimitives.WriteUInt16BigEndian(q, (ushort)i);
            sentAt[i] = Stopwatch.GetTimestamp();
            socket.Send(q);
        }

        receiver.Join();
        if (latencies.Count < total * 0.99)
        {
            Console.Error.WriteLine($"dns-load: only {latencies.Count} of {total} answers arrived");
        }

        latencies.Sort();
        return latencies.Count == 0 ? double.NaN : latencies[Math.Clamp((int)Math.Ceiling(0.99 * latencies.Count) - 1, 0, latencies.Count - 1)];
    }

    /// <summary>Ids wrap at 65,536: the answer belongs to the latest query sent with that id.</summary>
    private static int FindIndex(long[] sentAt, int id)
    {
        var index = id;
        while (index + 65536 < sentAt.Length && sentAt[index + 65536] != 0)
        {
            index += 65536;
        }

        return index;
    }

    private static ClusterDnsIndex BuildIndex()
    {
        var index = new ClusterDnsIndex();
        for (var s = 0; s < 50; s++)
        {
            var name = $"db{s}";
            index.UpsertService(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "bench" },
                Spec = new V1ServiceSpec { ClusterIP = "None", Ports = [new V1ServicePort { Name = "pg", Port = 5432, Protocol = "TCP" }] },
            });
            index.UpsertSlice(new V1EndpointSlice
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name + "-x",
                    NamespaceProperty = "bench",
                    Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name },
                },
                AddressType = "IPv4",
                Ports = [new Discoveryv1EndpointPort { Name = "pg", Port = 5432, Protocol = "TCP" }],
                Endpoints = [.. Enumerable.Range(0, 10).Select(p => new V1Endpoint
                {
                    Addresses = [$"10.91.{s}.{p + 10}"],
                    Hostname = $"{name}-{p}",
                    Conditions = new V1EndpointConditions { Ready = true },
                })],
            });
        }

        for (var s = 0; s < 200; s++)
        {
            index.UpsertService(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = $"svc{s}", NamespaceProperty = "bench" },
                Spec = new V1ServiceSpec
                {
                    ClusterIP = $"10.96.{s / 200}.{(s % 200) + 10}",
                    Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
                },
            });
        }

        return index;
    }

    private static byte[][] Queries()
    {
        var names = new List<(string Name, ushort Type)>();
        for (var i = 0; i < 500; i++)
        {
            names.Add(($"db{i % 50}-{i % 10}.db{i % 50}.bench.svc.cluster.local", 1));
            names.Add(($"svc{i % 200}.bench.svc.cluster.local", 1));
            if (i % 5 == 0)
            {
                names.Add(($"db{i % 50}.bench.svc.cluster.local", 1));
                names.Add(($"_pg._tcp.db{i % 50}.bench.svc.cluster.local", 33));
                names.Add(($"nope{i}.bench.svc.cluster.local", 1));
            }
        }

        return [.. names.Select((n, i) => Query(n.Name, n.Type, (ushort)i))];
    }

    private static byte[] Query(string name, ushort type, ushort id)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }
}
