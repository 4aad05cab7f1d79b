using System.Diagnostics;
using System.Text.Json;

namespace Berth.E2E;

/// <summary>
/// Real kubectl against a real <c>berth serve --runtime sandbox</c>: pods are sandboxed host processes with their own
/// network namespace, overlay root and volumes. The seeds' demonstrations (emptyDir against PVC, the PostgreSQL
/// StatefulSet), nginx on its claim, probes, CrashLoopBackOff, logs, bad input, and a clean stop. Needs root and the
/// packages scripts/test installs (bubblewrap, nginx-light, postgresql, busybox).
/// </summary>
public sealed class SandboxE2ETests(SandboxServerFixture fixture) : IClassFixture<SandboxServerFixture>
{
    private static Task<string> UntilAsync(Kubectl kubectl, string args, Func<string, bool> done, int seconds = 90) =>
        KubectlPoll.UntilAsync(kubectl, args, done, seconds, intervalMilliseconds: 500);

    private async Task<(Kubectl Kubectl, string Ns)> SetUpAsync(string test)
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var kubectl = fixture.Kubectl();
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(test))).ShouldSucceed();
        return (kubectl, test);
    }

    private static Task WaitReadyAsync(Kubectl kubectl, string ns, string pod, int seconds = 120) => kubectl.WaitReadyAsync(ns, pod, seconds);

    private static async Task<string> UidAsync(Kubectl kubectl, string ns, string pod) =>
        (await kubectl.RunAsync($"get pod {pod} -n {ns} -o jsonpath={{.metadata.uid}}")).ShouldSucceed().Stdout;

    /// <summary>Runs a host tool inside the serve's hub network namespace: the only place pod addresses are reachable from.</summary>
    private static async Task<(int Code, string Output)> InHubAsync(BerthServeProcess server, params string[] command)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", $"berth-{RunId(server)}-hub", .. command])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string ScratchAndData(string ns, string image = "busybox:1.36") => $$$"""
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: demo, namespace: {{{ns}}}}
        spec:
          serviceName: demo
          replicas: 1
          selector: {matchLabels: {app: demo}}
          template:
            metadata: {labels: {app: demo}}
            spec:
              terminationGracePeriodSeconds: 5
              containers:
              - name: main
                image: {{{image}}}
                command:
                - sh
                - -c
                - |
                  for d in /scratch /data; do
                    if [ -f $d/test.txt ]; then echo "$d: found $(cat $d/test.txt)"; else echo 123 > $d/test.txt; echo "$d: created"; fi
                  done
                  exec sleep 3600
                volumeMounts:
                - {name: scratch, mountPath: /scratch}
                - {name: data, mountPath: /data}
              volumes:
              - name: scratch
                emptyDir: {}
          volumeClaimTemplates:
          - metadata: {name: data}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        """;

    [Fact]
    public async Task Seed004_a_file_in_an_emptyDir_is_gone_after_delete_and_re_create_while_the_same_file_on_a_PVC_survives()
    {
        var (kubectl, ns) = await SetUpAsync("seed004");
        (await kubectl.RunAsync("apply -f -", ScratchAndData(ns))).ShouldSucceed();
        await WaitReadyAsync(kubectl, ns, "demo-0");
        // The seed's steps: write test.txt with kubectl exec, see it, delete the pod, look again.
        (await kubectl.RunAsync($"exec demo-0 -n {ns} -- sh -c 'echo 456 > /scratch/exec.txt && echo 456 > /data/exec.txt'")).ShouldSucceed();
        var listed = (await kubectl.RunAsync($"exec demo-0 -n {ns} -- ls -la /scratch/")).ShouldSucceed().Stdout;
        var uid = await UidAsync(kubectl, ns, "demo-0");

        (await kubectl.RunAsync($"delete pod demo-0 -n {ns}", timeoutSeconds: 90)).ShouldSucceed();
        await UntilAsync(kubectl, $"get pod demo-0 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != uid);
        await WaitReadyAsync(kubectl, ns, "demo-0");
        var gone = await kubectl.RunAsync($"exec demo-0 -n {ns} -- cat /scratch/exec.txt");
        var kept = (await kubectl.RunAsync($"exec demo-0 -n {ns} -- cat /data/exec.txt")).ShouldSucceed().Stdout;
        var second = await UntilAsync(kubectl, $"logs demo-0 -n {ns}", s => s.Contains("/data:", StringComparison.Ordinal));

        Assert.Contains("exec.txt", listed, StringComparison.Ordinal);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("cat: can't open '/scratch/exec.txt': No such file or directory", gone.Stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 1", gone.Stderr, StringComparison.Ordinal);
        Assert.Equal("456\n", kept);
        // The container's own start-up check says the same: the emptyDir is new, the claim kept its file.
        Assert.Contains("/scratch: created", second, StringComparison.Ordinal);
        Assert.Contains("/data: found 123", second, StringComparison.Ordinal);
        // The claim's directory is a plain directory under DATA/volumes.
        var volume = (await kubectl.RunAsync($"get pvc data-demo-0 -n {ns} -o jsonpath={{.spec.volumeName}}")).ShouldSucceed().Stdout;
        Assert.Equal("456\n", await File.ReadAllTextAsync(Path.Combine(fixture.Server.DataDir, "volumes", volume, "exec.txt")));
    }

    private static string Postgres(string ns) => $$$"""
        apiVersion: v1
        kind: Secret
        metadata: {name: postgres-secret, namespace: {{{ns}}}}
        data:
          password: czNjcjN0LXB3
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: postgres-headless
          namespace: {{{ns}}}
          labels:
            app: postgres
        spec:
          ports:
          - port: 5432
            name: postgres
          clusterIP: None
          selector:
            app: postgres
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: postgres
          namespace: {{{ns}}}
        spec:
          serviceName: postgres-headless
          replicas: 3
          selector:
            matchLabels:
              app: postgres
          template:
            metadata:
              labels:
                app: postgres
            spec:
              containers:
              - name: postgres
                image: postgres:15-alpine
                ports:
                - containerPort: 5432
                  name: postgres
                env:
                - name: POSTGRES_PASSWORD
                  valueFrom:
                    secretKeyRef:
                      name: postgres-secret
                      key: password
                - name: PGDATA
                  value: /var/lib/postgresql/data/pgdata
                - name: POD_NAME
                  valueFrom:
                    fieldRef:
                      fieldPath: metadata.name
                volumeMounts:
                - name: postgres-storage
                  mountPath: /var/lib/postgresql/data
                livenessProbe:
                  exec:
                    command:
                    - /bin/sh
                    - -c
                    - pg_isready -U postgres
                  initialDelaySeconds: 30
                  periodSeconds: 10
                readinessProbe:
                  exec:
                    command:
                    - /bin/sh
                    - -c
                    - pg_isready -U postgres
                  initialDelaySeconds: 10
                  periodSeconds: 5
          volumeClaimTemplates:
          - metadata:
              name: postgres-storage
            spec:
              accessModes: [ "ReadWriteOnce" ]
              storageClassName: standard
              resources:
                requests:
                  storage: 10Gi
        """;

    [Fact]
    public async Task Seed001_the_PostgreSQL_StatefulSet_as_written_is_ready_in_ordinal_order_and_rows_survive_deleting_a_pod()
    {
        var (kubectl, ns) = await SetUpAsync("seed001");
        (await kubectl.RunAsync("apply -f -", Postgres(ns))).ShouldSucceed();
        (await kubectl.RunAsync($"rollout status sts/postgres -n {ns} --timeout=300s", timeoutSeconds: 320)).ShouldSucceed();
        var sts = (await kubectl.RunAsync($"get sts postgres -n {ns}")).ShouldSucceed().Stdout;
        Assert.Matches(@"postgres\s+3/3", sts);

        // OrderedReady: each pod was created only once the one before it was Ready.
        using (var pods = JsonDocument.Parse((await kubectl.RunAsync($"get pods -n {ns} -o json")).ShouldSucceed().Stdout))
        {
            DateTime Ready(int i) => Item(i).GetProperty("status").GetProperty("conditions").EnumerateArray()
                .First(c => c.GetProperty("type").GetString() == "Ready").GetProperty("lastTransitionTime").GetDateTime();
            DateTime Created(int i) => Item(i).GetProperty("metadata").GetProperty("creationTimestamp").GetDateTime();
            JsonElement Item(int i) => pods.RootElement.GetProperty("items").EnumerateArray()
                .First(p => p.GetProperty("metadata").GetProperty("name").GetString() == $"postgres-{i}");
            Assert.True(Created(1) >= Ready(0), $"postgres-1 created {Created(1):O} before postgres-0 was Ready {Ready(0):O}");
            Assert.True(Created(2) >= Ready(1), $"postgres-2 created {Created(2):O} before postgres-1 was Ready {Ready(1):O}");
        }

        var logs = (await kubectl.RunAsync($"logs postgres-0 -n {ns}")).ShouldSucceed().Stdout;
        Assert.Contains("database system is ready to accept connections", logs, StringComparison.Ordinal);
        var version = (await kubectl.RunAsync($"exec postgres-0 -n {ns} -- psql -U postgres -c \"SELECT version();\"")).ShouldSucceed().Stdout;
        Assert.Contains("PostgreSQL 15", version, StringComparison.Ordinal);
        var hostname = (await kubectl.RunAsync($"exec postgres-2 -n {ns} -- sh -c 'hostname; cat /etc/hostname; echo $POD_NAME'")).ShouldSucceed().Stdout;
        Assert.Equal("postgres-2\npostgres-2\npostgres-2\n", hostname);

        // Rows written with kubectl exec (psql on the pod's own socket) ...
        (await kubectl.RunAsync($"exec postgres-1 -n {ns} -- psql -U postgres -v ON_ERROR_STOP=1 -c \"CREATE TABLE visits (n int); INSERT INTO visits VALUES (42);\""))
            .ShouldSucceed();
        var uid = await UidAsync(kubectl, ns, "postgres-1");
        (await kubectl.RunAsync($"delete pod postgres-1 -n {ns}", timeoutSeconds: 90)).ShouldSucceed();
        await UntilAsync(kubectl, $"get pod postgres-1 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != uid);
        await WaitReadyAsync(kubectl, ns, "postgres-1", seconds: 180);
        // ... are there after the pod is re-created, read over the pod network with the Secret's password.
        var ip = (await kubectl.RunAsync($"get pod postgres-1 -n {ns} -o jsonpath={{.status.podIP}}")).ShouldSucceed().Stdout;
        var read = await InHubAsync(fixture.Server, ["env", "PGPASSWORD=s3cr3t-pw", "psql", "-h", ip, "-U", "postgres", "-Atc", "SELECT n FROM visits"]);
        Assert.True(read.Code == 0, read.Output);
        Assert.Equal("42", read.Output.Trim());
    }

    [Fact]
    public async Task Nginx_serves_its_claim_as_docroot_over_the_pod_network()
    {
        var (kubectl, ns) = await SetUpAsync("nginx");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: web, namespace: {{{ns}}}}
            spec:
              serviceName: nginx
              replicas: 1
              selector: {matchLabels: {app: nginx}}
              template:
                metadata: {labels: {app: nginx}}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.25
                    ports: [{containerPort: 80, name: web}]
                    readinessProbe: {httpGet: {path: /, port: web}, periodSeconds: 1}
                    volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
              volumeClaimTemplates:
              - metadata: {name: www}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
            """)).ShouldSucceed();
        // The readiness probe needs an index: written into the claim's directory, as a user would copy content in.
        var volume = await UntilAsync(kubectl, $"get pvc www-web-0 -n {ns} -o jsonpath={{.spec.volumeName}}", s => s.StartsWith("pvc-", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(fixture.Server.DataDir, "volumes", volume, "index.html"), "hello from the claim\n");
        await WaitReadyAsync(kubectl, ns, "web-0");
        var ip = (await kubectl.RunAsync($"get pod web-0 -n {ns} -o jsonpath={{.status.podIP}}")).ShouldSucceed().Stdout;

        var (code, body) = await InHubAsync(fixture.Server, "busybox", "wget", "-qO-", $"http://{ip}/");
        Assert.True(code == 0, body);
        Assert.Equal("hello from the claim\n", body);
        var log = await UntilAsync(kubectl, $"logs web-0 -n {ns}", s => s.Contains("GET / HTTP/1.1", StringComparison.Ordinal));
        Assert.Contains("kube-probe/", log, StringComparison.Ordinal);

        // kubectl port-forward: loopback on this side, the pod's port on the other.
        var port = FreePort();
        var forward = kubectl.RunAsync($"port-forward pod/web-0 -n {ns} {port}:80", timeoutSeconds: 20);
        string forwarded = "";
        using (var http = new HttpClient())
        {
            for (var attempt = 0; attempt < 60 && forwarded.Length == 0; attempt++)
            {
                await Task.Delay(250);
                try
                {
                    forwarded = await http.GetStringAsync($"http://127.0.0.1:{port}/");
                }
                catch (HttpRequestException)
                {
                }
            }
        }

        var forwardLog = await forward;
        Assert.Equal("hello from the claim\n", forwarded);
        Assert.Contains($"Forwarding from 127.0.0.1:{port} -> 80", forwardLog.Stdout, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("1.33")]
    [InlineData("1.27")]
    public async Task Exec_returns_the_commands_exit_code_and_run_with_stdin_attaches_until_the_pod_completes(string version)
    {
        var (_, ns) = await SetUpAsync("exec-" + version.Replace(".", "", StringComparison.Ordinal));
        var kubectl = fixture.Kubectl(version);
        (await kubectl.RunAsync($"run sleeper -n {ns} --image=busybox:1.36 --command -- sleep 3600")).ShouldSucceed();
        await WaitReadyAsync(kubectl, ns, "sleeper");

        var failing = await kubectl.RunAsync($"exec sleeper -n {ns} -- sh -c 'echo out; echo err >&2; exit 3'");
        var input = await kubectl.RunAsync($"exec -i sleeper -n {ns} -- sh -c 'read line; echo \"got $line\"'", stdin: "hello\n");
        var run = await kubectl.RunAsync($"run once -n {ns} --image=busybox:1.36 --restart=Never --rm -i -- sh -c 'echo early; read line; echo \"attached: $line\"'",
            stdin: "hi\n", timeoutSeconds: 120);

        Assert.Equal(3, failing.ExitCode);
        Assert.Equal("out\n", failing.Stdout);
        Assert.Contains("err", failing.Stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", failing.Stderr, StringComparison.Ordinal);
        Assert.Equal("got hello\n", input.ShouldSucceed().Stdout);
        run.ShouldSucceed();
        Assert.Contains("early\nattached: hi\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("pod \"once\" deleted", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_liveness_probe_restarts_the_container_with_Unhealthy_and_Killing_events()
    {
        var (kubectl, ns) = await SetUpAsync("liveness");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: live, namespace: {{{ns}}}}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 3600"]
                livenessProbe:
                  exec: {command: [cat, /tmp/healthy]}
                  periodSeconds: 1
                  failureThreshold: 2
            """)).ShouldSucceed();

        await UntilAsync(kubectl, $"get pod live -n {ns} -o jsonpath={{.status.containerStatuses[0].restartCount}}",
            s => int.TryParse(s, out var n) && n >= 1, seconds: 120);
        var events = await UntilAsync(kubectl, $"get events -n {ns} --field-selector involvedObject.name=live",
            s => s.Contains("Killing", StringComparison.Ordinal) && s.Contains("Unhealthy", StringComparison.Ordinal));
        Assert.Contains("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory", events, StringComparison.Ordinal);
        Assert.Contains("Container main failed liveness probe, will be restarted", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crashing_container_shows_CrashLoopBackOff_and_logs_serve_current_previous_and_tail()
    {
        var (kubectl, ns) = await SetUpAsync("crashloop");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: crash, namespace: {{{ns}}}}
            spec:
              containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo first; echo second; echo run $n; exit 3"]
                volumeMounts: [{name: state, mountPath: /state}]
              volumes: [{name: state, emptyDir: {}}]
            """)).ShouldSucceed();

        var table = await UntilAsync(kubectl, $"get pod crash -n {ns}", s => s.Contains("CrashLoopBackOff", StringComparison.Ordinal), seconds: 120);
        Assert.Matches(@"crash\s+0/1\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)", table);
        var restarts = int.Parse((await kubectl.RunAsync($"get pod crash -n {ns} -o jsonpath={{.status.containerStatuses[0].restartCount}}"))
            .ShouldSucceed().Stdout, System.Globalization.CultureInfo.InvariantCulture);

        // While waiting in back-off, the current log is the run that just crashed; --previous the one before.
        var current = (await kubectl.RunAsync($"logs crash -n {ns}")).ShouldSucceed().Stdout;
        var previous = (await kubectl.RunAsync($"logs crash -n {ns} --previous")).ShouldSucceed().Stdout;
        var tail = (await kubectl.RunAsync($"logs crash -n {ns} --tail=1")).ShouldSucceed().Stdout;
        var stamped = (await kubectl.RunAsync($"logs crash -n {ns} --tail=1 --timestamps")).ShouldSucceed().Stdout;
        Assert.Equal($"first\nsecond\nrun {restarts + 1}\n", current);
        Assert.Equal($"first\nsecond\nrun {restarts}\n", previous);
        Assert.Equal($"run {restarts + 1}\n", tail);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z run \d+\n$", stamped);
        var state = (await kubectl.RunAsync($"get pod crash -n {ns} -o jsonpath={{.status.containerStatuses[0].lastState.terminated.exitCode}}"))
            .ShouldSucceed().Stdout;
        Assert.Equal("3", state);
    }

    [Fact]
    public async Task Logs_follow_streams_new_lines_and_ends_when_the_container_exits()
    {
        var (kubectl, ns) = await SetUpAsync("follow");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: talker, namespace: {{{ns}}}}
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "sleep 2; for i in 1 2 3 4 5; do echo line $i; sleep 1; done"]
            """)).ShouldSucceed();
        await UntilAsync(kubectl, $"get pod talker -n {ns} -o jsonpath={{.status.phase}}", s => s == "Running");

        var follow = await kubectl.RunAsync($"logs -f talker -n {ns}", timeoutSeconds: 60);
        var phase = await UntilAsync(kubectl, $"get pod talker -n {ns} -o jsonpath={{.status.phase}}", s => s == "Succeeded");

        follow.ShouldSucceed();
        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\n", follow.Stdout);
        Assert.Equal("Succeeded", phase);
        var completed = (await kubectl.RunAsync($"get pod talker -n {ns}")).ShouldSucceed().Stdout;
        Assert.Matches(@"talker\s+0/1\s+Completed\s+0", completed);
    }

    [Fact]
    public async Task A_configMap_volume_waits_for_its_ConfigMap_and_follows_its_updates()
    {
        var (kubectl, ns) = await SetUpAsync("configvol");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: reader, namespace: {{{ns}}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "while true; do echo \"greeting=$(cat /config/greeting)\"; sleep 1; done"]
                volumeMounts: [{name: config, mountPath: /config}]
              volumes:
              - name: config
                configMap: {name: settings}
            """)).ShouldSucceed();

        var waiting = await UntilAsync(kubectl, $"get events -n {ns} --field-selector involvedObject.name=reader",
            s => s.Contains("FailedMount", StringComparison.Ordinal));
        var pending = (await kubectl.RunAsync($"get pod reader -n {ns}")).ShouldSucceed().Stdout;
        Assert.Contains("MountVolume.SetUp failed for volume \"config\" : configmap \"settings\" not found", waiting, StringComparison.Ordinal);
        Assert.Matches(@"reader\s+0/1\s+ContainerCreating", pending);

        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: {{{ns}}}}
            data: {greeting: hello}
            """)).ShouldSucceed();
        await UntilAsync(kubectl, $"logs reader -n {ns}", s => s.Contains("greeting=hello", StringComparison.Ordinal));
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: {{{ns}}}}
            data: {greeting: bonjour}
            """)).ShouldSucceed();
        await UntilAsync(kubectl, $"logs reader -n {ns} --tail=1", s => s == "greeting=bonjour\n", seconds: 30);
    }

    [Fact]
    public async Task Bad_input_waits_with_a_clear_reason_and_writes_nothing_outside_the_pod()
    {
        var (kubectl, ns) = await SetUpAsync("badinput");
        (await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: unknown-image, namespace: {{{ns}}}}
            spec:
              containers:
              - {name: main, image: registry.example.com/team/app:2.0}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: host-network, namespace: {{{ns}}}}
            spec:
              hostNetwork: true
              containers:
              - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: escape, namespace: {{{ns}}}}
            spec:
              initContainers:
              - name: plant
                image: busybox:1.36
                command: [sh, -c, "ln -s /etc /work/outside"]
                volumeMounts: [{name: work, mountPath: /work}]
              containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "echo pwned > /mnt/escaped; sleep 3600"]
                volumeMounts: [{name: work, mountPath: /mnt, subPath: outside}]
              volumes: [{name: work, emptyDir: {}}]
            """)).ShouldSucceed();
        var dotdot = await kubectl.RunAsync("apply -f -", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: dotdot, namespace: {{{ns}}}}
            spec:
              containers:
              - name: main
                image: busybox:1.36
                command: [sleep, "3600"]
                volumeMounts: [{name: work, mountPath: /mnt, subPath: ../../etc}]
              volumes: [{name: work, emptyDir: {}}]
            """);

        var table = await UntilAsync(kubectl, $"get pods -n {ns}",
            s => s.Contains("ErrImagePull", StringComparison.Ordinal) && s.Contains("CreateContainerConfigError", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(s, @"escape\s+0/1\s+CreateContainerConfigError"));
        var unknown = (await kubectl.RunAsync($"get pod unknown-image -n {ns} -o jsonpath={{.status.containerStatuses[0].state.waiting.message}}")).Stdout;
        var hostNetwork = (await kubectl.RunAsync($"get pod host-network -n {ns} -o jsonpath={{.status.containerStatuses[0].state.waiting.message}}")).Stdout;
        var escape = (await kubectl.RunAsync($"get pod escape -n {ns} -o jsonpath={{.status.containerStatuses[0].state.waiting.message}}")).Stdout;
        var events = (await kubectl.RunAsync($"get events -n {ns}")).ShouldSucceed().Stdout;

        Assert.Matches(@"unknown-image\s+0/1\s+ErrImagePull", table);
        Assert.Contains("image \"registry.example.com/team/app:2.0\" is not in Berth's image catalog", unknown, StringComparison.Ordinal);
        Assert.Matches(@"host-network\s+0/1\s+CreateContainerConfigError", table);
        Assert.Contains("hostNetwork: true is not supported", hostNetwork, StringComparison.Ordinal);
        Assert.Contains("FailedCreatePodSandBox", events, StringComparison.Ordinal);
        Assert.Contains("is not within the volume path", escape, StringComparison.Ordinal);
        Assert.NotEqual(0, dotdot.ExitCode);
        Assert.Contains("subPath", dotdot.Stderr, StringComparison.Ordinal);
        Assert.Contains("must not contain '..'", dotdot.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists("/etc/escaped"), "a pod wrote through a subPath symlink onto the host");
    }

    [Fact]
    public async Task Stopping_serve_leaves_no_namespace_mount_or_process_and_a_restart_runs_the_bound_pods_again_with_their_data()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var server = await BerthServeProcess.StartAsync(runtime: "sandbox");
        var dataDir = server.DataDir;
        var cache = Directory.CreateTempSubdirectory("berth-kubectl-cache-").FullName;
        BerthServeProcess? second = null;
        try
        {
            var kubectl = new Kubectl("1.33", server.Kubeconfig, cache);
            await RunScratchAndDataAsync(kubectl, "restart");
            // A container that ignores SIGTERM holds the stop for its whole grace period: serve must wait it out and
            // still exit 0 (System.CommandLine's default 2 s termination timeout once cut serve off with 143 here,
            // leaving namespaces and mounts behind).
            (await kubectl.RunAsync("run stubborn -n restart --image=busybox '--overrides={\"spec\":{\"terminationGracePeriodSeconds\":5}}' "
                + "-- sh -c \"trap '' TERM; while :; do sleep 1; done\"")).ShouldSucceed();
            (await kubectl.RunAsync("wait --for=condition=Ready pod/stubborn -n restart --timeout=90s", timeoutSeconds: 100)).ShouldSucceed();
            var runId = RunId(server);
            Assert.Contains(Mounts(), m => m.StartsWith(dataDir + "/", StringComparison.Ordinal));

            var code = await server.StopAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(0, code);
            Assert.DoesNotContain(Mounts(), m => m.StartsWith(dataDir + "/", StringComparison.Ordinal));
            Assert.Empty(Directory.Exists("/run/netns") ? Directory.EnumerateFiles("/run/netns", $"berth-{runId}-*") : []);
            Assert.Empty(ProcessesMentioning(dataDir));
            Assert.False(File.Exists(Path.Combine("/run/berth/runs", runId)));
            Assert.False(Directory.Exists($"/sys/fs/cgroup/memory/berth/{runId}") || Directory.Exists($"/sys/fs/cgroup/berth/{runId}"));

            // Same data dir, new process: the pod bound to the node runs again, its claim's data intact.
            second = await BerthServeProcess.StartAsync(runtime: "sandbox", dataDir: dataDir);
            kubectl = new Kubectl("1.33", second.Kubeconfig, cache);
            await UntilAsync(kubectl, "logs demo-0 -n restart", s => s.Contains("/data: found 123", StringComparison.Ordinal), seconds: 120);
            var logs = (await kubectl.RunAsync("logs demo-0 -n restart")).ShouldSucceed().Stdout;
            Assert.Contains("/scratch: created", logs, StringComparison.Ordinal);
            Assert.Equal(0, await second.StopAsync(TimeSpan.FromSeconds(60)));
            Assert.DoesNotContain(Mounts(), m => m.StartsWith(dataDir + "/", StringComparison.Ordinal));
            Assert.Empty(ProcessesMentioning(dataDir));
        }
        finally
        {
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            else
            {
                await server.DisposeAsync();
            }

            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task After_a_crash_the_next_start_removes_what_the_crashed_run_left_and_runs_the_pods_again()
    {
        Assert.SkipUnless(SandboxServerFixture.IsRoot, "the sandbox runtime needs root");
        var server = await BerthServeProcess.StartAsync(runtime: "sandbox");
        var dataDir = server.DataDir;
        var cache = Directory.CreateTempSubdirectory("berth-kubectl-cache-").FullName;
        BerthServeProcess? second = null;
        try
        {
            var kubectl = new Kubectl("1.33", server.Kubeconfig, cache);
            await RunScratchAndDataAsync(kubectl, "crash");
            var runId = RunId(server);
            // The pod (same UID) gets its sandbox at the same path again: a marker in the old sandbox directory tells
            // the old one from the new.
            var podMounts = Mounts().Where(m => m.StartsWith(dataDir + "/node/pods/", StringComparison.Ordinal)).ToList();
            var sandboxDir = Assert.Single(Directory.GetDirectories(Path.Combine(dataDir, "node", "pods")));
            await File.WriteAllTextAsync(Path.Combine(sandboxDir, "from-the-crashed-run"), "stale");

            await server.CrashAsync();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ProcessesMentioning(dataDir).Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            // The pods died with serve; the overlay roots and the run's namespaces are what a crash leaves.
            Assert.Empty(ProcessesMentioning(dataDir));
            Assert.NotEmpty(podMounts);
            Assert.All(podMounts, m => Assert.Contains(m, Mounts()));

            second = await BerthServeProcess.StartAsync(runtime: "sandbox", dataDir: dataDir);
            kubectl = new Kubectl("1.33", second.Kubeconfig, cache);
            await UntilAsync(kubectl, "logs demo-0 -n crash", s => s.Contains("/data: found 123", StringComparison.Ordinal), seconds: 120);

            // One overlay root per pod path: the stale one was unmounted, not stacked under the new one.
            Assert.Single(Mounts(), m => m.StartsWith(dataDir + "/node/pods/", StringComparison.Ordinal));
            Assert.False(File.Exists(Path.Combine(sandboxDir, "from-the-crashed-run")));
            Assert.Empty(Directory.Exists("/run/netns") ? Directory.EnumerateFiles("/run/netns", $"berth-{runId}-*") : []);
            Assert.False(File.Exists(Path.Combine("/run/berth/runs", runId)));
            Assert.Equal(0, await second.StopAsync(TimeSpan.FromSeconds(60)));
            Assert.DoesNotContain(Mounts(), m => m.StartsWith(dataDir + "/", StringComparison.Ordinal));
        }
        finally
        {
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            else
            {
                await server.DisposeAsync();
            }

            Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>The id serve registered its run under in /run/berth/runs (a file per run, its first word the PID).</summary>
    private static string RunId(BerthServeProcess server) => Path.GetFileName(Directory.EnumerateFiles("/run/berth/runs")
        .First(f => File.ReadAllText(f).Split(' ')[0] == server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The <see cref="ScratchAndData"/> StatefulSet in its own namespace, its pod Ready.</summary>
    private static async Task RunScratchAndDataAsync(Kubectl kubectl, string ns)
    {
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        (await kubectl.RunAsync("apply -f -", ScratchAndData(ns))).ShouldSucceed();
        await WaitReadyAsync(kubectl, ns, "demo-0");
    }

    private static List<string> Mounts() => [.. File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')[1])];

    /// <summary>Every process whose command line names the data dir (bwrap, payloads started from it).</summary>
    private static List<string> ProcessesMentioning(string dataDir)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(dataDir, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(dir)}: {cmdline}");
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}
