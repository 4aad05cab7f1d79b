namespace Berth.E2E;

/// <summary>
/// The seeds' hands-on StatefulSet sections, replayed with real kubectl against a real <c>berth serve</c>: ordered
/// start and reverse scale-down, PVCs that outlive their StatefulSet, partition canaries, OnDelete, rollback,
/// orphaning and adoption, force deletion. Run twice: on the simulated node (StatefulSetWalkthroughTests) and with
/// real nginx processes on the sandbox runtime (SandboxStatefulSetWalkthroughTests).
/// </summary>
public abstract class StatefulSetWalkthrough
{
    /// <summary>kubectl <paramref name="version"/> against this class's server.</summary>
    protected abstract Kubectl Kubectl(string version);

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private static string Web(string ns, int replicas = 3, string image = "nginx:1.21", string strategy = "") => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: nginx
          namespace: {ns}
          labels: {"{"}app: nginx{"}"}
        spec:
          ports: [{"{"}port: 80, name: web{"}"}]
          clusterIP: None
          selector: {"{"}app: nginx{"}"}
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: web
          namespace: {ns}
        spec:
          serviceName: nginx
          replicas: {replicas}
          selector:
            matchLabels: {"{"}app: nginx{"}"}
        {strategy}
          template:
            metadata:
              labels: {"{"}app: nginx{"}"}
            spec:
              containers:
              - name: nginx
                image: {image}
                ports: [{"{"}containerPort: 80, name: web{"}"}]
                volumeMounts: [{"{"}name: www, mountPath: /usr/share/nginx/html{"}"}]
          volumeClaimTemplates:
          - metadata: {"{"}name: www{"}"}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {"{"}requests: {"{"}storage: 1Gi{"}"}{"}"}
        """;

    private async Task<(Kubectl Kubectl, string Ns)> SetUpAsync(string version, string test)
    {
        var kubectl = Kubectl(version);
        var ns = $"{test}-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        return (kubectl, ns);
    }

    private static async Task RolledOutAsync(Kubectl kubectl, string ns) =>
        (await kubectl.RunAsync($"rollout status sts/web -n {ns} --timeout=40s", timeoutSeconds: 50)).ShouldSucceed();

    private static Task<string> UntilAsync(Kubectl kubectl, string args, Func<string, bool> done, int seconds = 30) =>
        KubectlPoll.UntilAsync(kubectl, args, done, seconds, intervalMilliseconds: 250);

    private static string[] WatchedNames(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("pod/", StringComparison.Ordinal)).Select(l => l[4..]).ToArray();

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Pods_start_in_ordinal_order_and_scale_down_in_reverse(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "order");
        // `get -w -o name` prints a pod's name on every change, so first appearances give the creation order and
        // last appearances the removal order.
        var watch = kubectl.RunAsync($"get pods -n {ns} -w -o name", timeoutSeconds: 12);
        await Task.Delay(1000);

        var applied = (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed().Stdout;
        await RolledOutAsync(kubectl, ns);
        (await kubectl.RunAsync($"scale sts web -n {ns} --replicas=1")).ShouldSucceed();
        await UntilAsync(kubectl, $"get pods -n {ns} -o name", s => s.Trim() == "pod/web-0");
        var events = (await watch).Stdout;

        Assert.Contains("statefulset.apps/web created", applied, StringComparison.Ordinal);
        var names = WatchedNames(events);
        Assert.Equal(["web-0", "web-1", "web-2"], names.Distinct().ToArray());
        Assert.True(Array.LastIndexOf(names, "web-2") < Array.LastIndexOf(names, "web-1"), string.Join(",", names));
        var hostnames = (await kubectl.RunAsync(
            $"get pod web-0 -n {ns} -o jsonpath={{.spec.hostname}}/{{.spec.subdomain}}/{{.metadata.labels.apps\\.kubernetes\\.io/pod-index}}"))
            .ShouldSucceed().Stdout;
        Assert.Equal("web-0/nginx/0", hostnames);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Claims_outlive_the_statefulset_and_are_reused_when_it_returns(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "pvc");
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var volumes = (await kubectl.RunAsync($"get pvc -n {ns} -o custom-columns=NAME:.metadata.name,VOLUME:.spec.volumeName --no-headers"))
            .ShouldSucceed().Stdout;

        (await kubectl.RunAsync($"delete sts web -n {ns}")).ShouldSucceed();
        await UntilAsync(kubectl, $"get pods -n {ns} -o name", s => s.Trim().Length == 0);
        var kept = (await kubectl.RunAsync($"get pvc -n {ns}")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var after = (await kubectl.RunAsync($"get pvc -n {ns} -o custom-columns=NAME:.metadata.name,VOLUME:.spec.volumeName --no-headers"))
            .ShouldSucceed().Stdout;

        Assert.Matches(@"www-web-0\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+standard", kept);
        Assert.Matches(@"www-web-2\s+Bound", kept);
        Assert.Equal(volumes, after);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_partition_updates_only_the_ordinals_at_or_above_it_and_rollout_undo_restores(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "canary");
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);

        (await kubectl.RunAsync(
            $"patch sts web -n {ns} -p '{{\"spec\":{{\"updateStrategy\":{{\"type\":\"RollingUpdate\",\"rollingUpdate\":{{\"partition\":2}}}}}}}}'"))
            .ShouldSucceed();
        (await kubectl.RunAsync($"set image sts/web nginx=nginx:1.22 -n {ns}")).ShouldSucceed();
        var images = await UntilAsync(kubectl,
            $"get pods -n {ns} -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image --no-headers",
            s => s.Contains("web-2   nginx:1.22", StringComparison.Ordinal));
        Assert.Matches(@"web-0\s+nginx:1.21", images);
        Assert.Matches(@"web-1\s+nginx:1.21", images);

        (await kubectl.RunAsync($"patch sts web -n {ns} -p '{{\"spec\":{{\"updateStrategy\":{{\"rollingUpdate\":{{\"partition\":0}}}}}}}}'"))
            .ShouldSucceed();
        await UntilAsync(kubectl, $"get pods -n {ns} -o jsonpath={{.items[*].spec.containers[0].image}}",
            s => s == "nginx:1.22 nginx:1.22 nginx:1.22");
        var history = (await kubectl.RunAsync($"rollout history sts/web -n {ns}")).ShouldSucceed().Stdout;
        Assert.Matches(@"REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>", history);

        var undo = (await kubectl.RunAsync($"rollout undo sts/web -n {ns}")).ShouldSucceed().Stdout;
        Assert.Contains("statefulset.apps/web rolled back", undo, StringComparison.Ordinal);
        await UntilAsync(kubectl, $"get pods -n {ns} -o jsonpath={{.items[*].spec.containers[0].image}}",
            s => s == "nginx:1.21 nginx:1.21 nginx:1.21");
        var revisions = (await kubectl.RunAsync($"get controllerrevisions -n {ns} --no-headers")).ShouldSucceed().Stdout;
        // Rollback re-uses the first revision's ControllerRevision with a new number (upstream): two objects, 2 and 3.
        Assert.Equal(2, revisions.Trim().Split('\n').Length);
        Assert.Matches(@"web-\w+\s+statefulset.apps/web\s+3", revisions);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task OnDelete_updates_a_pod_only_when_it_is_deleted(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "ondelete");
        (await kubectl.RunAsync("apply -f -", Web(ns, strategy: "  updateStrategy: {type: OnDelete}"))).ShouldSucceed();
        // rollout status refuses OnDelete StatefulSets (upstream), so wait on readyReplicas.
        await UntilAsync(kubectl, $"get sts web -n {ns} -o jsonpath={{.status.readyReplicas}}", s => s == "3");

        (await kubectl.RunAsync($"set image sts/web nginx=nginx:1.22 -n {ns}")).ShouldSucceed();
        await Task.Delay(1500);
        var unchanged = (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].spec.containers[0].image}}"))
            .ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"delete pod web-1 -n {ns}")).ShouldSucceed();
        var images = await UntilAsync(kubectl,
            $"get pods -n {ns} -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image --no-headers",
            s => s.Contains("web-1   nginx:1.22", StringComparison.Ordinal));

        Assert.Equal("nginx:1.21 nginx:1.21 nginx:1.21", unchanged);
        Assert.Matches(@"web-0\s+nginx:1.21", images);
        Assert.Matches(@"web-2\s+nginx:1.21", images);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Cascade_orphan_keeps_the_pods_and_a_new_statefulset_adopts_them(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "orphan");
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var uids = (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].metadata.uid}}")).ShouldSucceed().Stdout;

        (await kubectl.RunAsync($"delete sts web -n {ns} --cascade=orphan")).ShouldSucceed();
        await UntilAsync(kubectl, $"get sts -n {ns} -o name", s => s.Trim().Length == 0);
        var owners = await UntilAsync(kubectl, $"get pods -n {ns} -o jsonpath={{.items[*].metadata.ownerReferences}}",
            s => s.Trim().Length == 0);
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var adopted = await UntilAsync(kubectl,
            $"get pods -n {ns} -o 'jsonpath={{range .items[*]}}{{.metadata.ownerReferences[0].name}}{{\" \"}}{{end}}'",
            s => s.Trim() == "web web web");
        var after = (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].metadata.uid}}")).ShouldSucceed().Stdout;

        Assert.Equal("", owners.Trim());
        Assert.Equal(uids, after);
        Assert.Equal("web web web", adopted.Trim());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_force_deleted_pod_comes_back_with_the_same_name_and_claim(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "force");
        (await kubectl.RunAsync("apply -f -", Web(ns, replicas: 2))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var uid = (await kubectl.RunAsync($"get pod web-0 -n {ns} -o jsonpath={{.metadata.uid}}")).ShouldSucceed().Stdout;

        var deleted = await kubectl.RunAsync($"delete pod web-0 -n {ns} --force --grace-period=0");
        await UntilAsync(kubectl, $"get pod web-0 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != uid);
        await RolledOutAsync(kubectl, ns);
        var claim = (await kubectl.RunAsync($"get pod web-0 -n {ns} -o jsonpath={{.spec.volumes[0].persistentVolumeClaim.claimName}}"))
            .ShouldSucceed().Stdout;

        deleted.ShouldSucceed();
        Assert.Contains("Immediate deletion does not wait for confirmation", deleted.Stderr, StringComparison.Ordinal);
        Assert.Equal("www-web-0", claim);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_claim_naming_a_missing_storage_class_stays_pending_with_the_reason(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "nosc");
        var manifest = Web(ns, replicas: 1).Replace("accessModes: [ReadWriteOnce]", "accessModes: [ReadWriteOnce]\n      storageClassName: fast-ssd",
            StringComparison.Ordinal);
        (await kubectl.RunAsync("apply -f -", manifest)).ShouldSucceed();

        var events = await UntilAsync(kubectl, $"get events -n {ns} --field-selector involvedObject.name=www-web-0",
            s => s.Contains("ProvisioningFailed", StringComparison.Ordinal));
        var pod = (await kubectl.RunAsync($"get pod web-0 -n {ns} --no-headers")).ShouldSucceed().Stdout;
        var pvc = (await kubectl.RunAsync($"get pvc www-web-0 -n {ns} --no-headers")).ShouldSucceed().Stdout;

        Assert.Contains("storageclass.storage.k8s.io \"fast-ssd\" not found", events, StringComparison.Ordinal);
        Assert.Matches(@"web-0\s+0/1\s+Pending", pod);
        Assert.Matches(@"www-web-0\s+Pending", pvc);
    }
    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Scaling_down_keeps_the_claim_and_scaling_back_up_reuses_it(string version)
    {
        // Seed 001, "スケールダウン時のデータ損失": scale to 2, www-web-2 stays; scale to 3, web-2 gets it back.
        var (kubectl, ns) = await SetUpAsync(version, "rescale");
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var volume = (await kubectl.RunAsync($"get pvc www-web-2 -n {ns} -o jsonpath={{.spec.volumeName}}")).ShouldSucceed().Stdout;

        (await kubectl.RunAsync($"scale statefulset web -n {ns} --replicas=2")).ShouldSucceed();
        await UntilAsync(kubectl, $"get pods -n {ns} -o name", s => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2);
        var kept = (await kubectl.RunAsync($"get pvc -n {ns} --no-headers")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"patch statefulset web -n {ns} -p '{{\"spec\":{{\"replicas\":3}}}}'")).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        var claim = (await kubectl.RunAsync($"get pod web-2 -n {ns} -o jsonpath={{.spec.volumes[0].persistentVolumeClaim.claimName}}"))
            .ShouldSucceed().Stdout;
        var after = (await kubectl.RunAsync($"get pvc www-web-2 -n {ns} -o jsonpath={{.spec.volumeName}}")).ShouldSucceed().Stdout;
        var claims = (await kubectl.RunAsync($"get pvc -n {ns} -o name")).ShouldSucceed().Stdout;

        Assert.Matches(@"www-web-2\s+Bound", kept);
        Assert.Equal("www-web-2", claim);
        Assert.Equal(volume, after);
        Assert.Equal(3, claims.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task An_emptyDir_pod_comes_back_with_a_fresh_volume_while_a_claim_pod_gets_its_claim_back(string version)
    {
        // Seed 004: the catalog MySQL on emptyDir, then on a PVC (examples/catalog-mysql*.yaml in this test's namespace).
        var (kubectl, ns) = await SetUpAsync(version, "catalog");
        string Example(string file) => File.ReadAllText(Path.Combine(BerthCli.Examples, file))
            .Replace("namespace: catalog", "namespace: " + ns, StringComparison.Ordinal)
            .Replace("kind: Namespace\nmetadata:\n  name: catalog", "kind: Namespace\nmetadata:\n  name: " + ns, StringComparison.Ordinal);
        (await kubectl.RunAsync("apply -f -", Example("catalog-mysql.yaml") + "\n---\n" + Example("catalog-mysql-pvc.yaml"))).ShouldSucceed();
        await UntilAsync(kubectl, $"get sts -n {ns} -o jsonpath={{.items[*].status.readyReplicas}}", s => s == "1 1");
        var described = (await kubectl.RunAsync($"describe statefulset -n {ns} catalog-mysql")).ShouldSucceed().Stdout;
        var emptyDirUid = (await kubectl.RunAsync($"get pod catalog-mysql-0 -n {ns} -o jsonpath={{.metadata.uid}}")).ShouldSucceed().Stdout;
        var claimUid = (await kubectl.RunAsync($"get pod catalog-mysql-pvc-0 -n {ns} -o jsonpath={{.metadata.uid}}")).ShouldSucceed().Stdout;
        var volume = (await kubectl.RunAsync($"get pvc data-catalog-mysql-pvc-0 -n {ns} -o jsonpath={{.spec.volumeName}}")).ShouldSucceed().Stdout;

        var deleted = (await kubectl.RunAsync($"delete pods -n {ns} -l app.kubernetes.io/component=mysql")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"delete pods -n {ns} -l app.kubernetes.io/component=mysql-pvc")).ShouldSucceed();
        await UntilAsync(kubectl, $"get pod catalog-mysql-0 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != emptyDirUid);
        var waited = (await kubectl.RunAsync(
            $"wait --for=condition=Ready pod -n {ns} -l app.kubernetes.io/component=mysql --timeout=30s", timeoutSeconds: 40)).ShouldSucceed().Stdout;
        await UntilAsync(kubectl, $"get pod catalog-mysql-pvc-0 -n {ns} -o jsonpath={{.metadata.uid}}", s => s.Length > 0 && s != claimUid);
        var emptyDir = (await kubectl.RunAsync($"get pod catalog-mysql-0 -n {ns} -o jsonpath={{.spec.volumes[0].emptyDir}}")).ShouldSucceed().Stdout;
        var claim = (await kubectl.RunAsync($"get pod catalog-mysql-pvc-0 -n {ns} -o jsonpath={{.spec.volumes[0].persistentVolumeClaim.claimName}}"))
            .ShouldSucceed().Stdout;
        var after = (await kubectl.RunAsync($"get pvc data-catalog-mysql-pvc-0 -n {ns} -o jsonpath={{.spec.volumeName}}")).ShouldSucceed().Stdout;
        var claims = (await kubectl.RunAsync($"get pvc -n {ns} -o name")).ShouldSucceed().Stdout;

        Assert.Matches(@"Type:\s+EmptyDir \(a temporary directory that shares a pod's lifetime\)", described);
        Assert.Matches(@"Volume Claims:\s+<none>", described);
        Assert.Contains("pod \"catalog-mysql-0\" deleted", deleted, StringComparison.Ordinal);
        Assert.Contains("pod/catalog-mysql-0 condition met", waited, StringComparison.Ordinal);
        Assert.Equal("{}", emptyDir);
        Assert.Equal("data-catalog-mysql-pvc-0", claim);
        Assert.Equal(volume, after);
        Assert.Equal("persistentvolumeclaim/data-catalog-mysql-pvc-0", claims.Trim());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Events_show_each_pod_created_and_claims_are_removed_by_label_after_the_statefulset(string version)
    {
        // Seed 001: "kubectl get events --sort-by='.lastTimestamp'", then deleting the StatefulSet and its claims by label.
        var (kubectl, ns) = await SetUpAsync(version, "cleanup");
        (await kubectl.RunAsync("apply -f -", Web(ns))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);

        var events = (await kubectl.RunAsync($"get events -n {ns} --sort-by=.lastTimestamp")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync($"delete statefulset web -n {ns}")).ShouldSucceed();
        await UntilAsync(kubectl, $"get pods -n {ns} -o name", s => s.Trim().Length == 0);
        var kept = (await kubectl.RunAsync($"get pvc -n {ns} -o name")).ShouldSucceed().Stdout;
        var deleted = (await kubectl.RunAsync($"delete pvc -n {ns} -l app=nginx")).ShouldSucceed().Stdout;
        var left = await UntilAsync(kubectl, $"get pvc -n {ns} -o name", s => s.Trim().Length == 0);

        foreach (var i in new[] { 0, 1, 2 })
        {
            Assert.Matches($@"SuccessfulCreate\s+statefulset/web\s+create Pod web-{i} in StatefulSet web successful", events);
            Assert.Contains($"persistentvolumeclaim/www-web-{i}", kept, StringComparison.Ordinal);
            Assert.Contains($"persistentvolumeclaim \"www-web-{i}\" deleted", deleted, StringComparison.Ordinal);
        }

        Assert.Equal("", left.Trim());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Rollout_undo_to_a_revision_restores_that_revisions_template(string version)
    {
        // Seed 001: kubectl rollout history, then rollout undo --to-revision.
        var (kubectl, ns) = await SetUpAsync(version, "torev");
        (await kubectl.RunAsync("apply -f -", Web(ns, replicas: 2))).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        (await kubectl.RunAsync($"set image statefulset/web nginx=nginx:1.22 -n {ns}")).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);
        (await kubectl.RunAsync($"set image statefulset/web nginx=nginx:1.23 -n {ns}")).ShouldSucceed();
        await RolledOutAsync(kubectl, ns);

        var history = (await kubectl.RunAsync($"rollout history statefulset/web -n {ns}")).ShouldSucceed().Stdout;
        var undo = (await kubectl.RunAsync($"rollout undo statefulset/web --to-revision=2 -n {ns}")).ShouldSucceed().Stdout;
        await RolledOutAsync(kubectl, ns);
        var images = await UntilAsync(kubectl, $"get pods -n {ns} -o jsonpath={{.items[*].spec.containers[0].image}}",
            s => s == "nginx:1.22 nginx:1.22");

        Assert.Matches(@"REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>\s+3\s+<none>", history);
        Assert.Contains("statefulset.apps/web rolled back", undo, StringComparison.Ordinal);
        Assert.Equal("nginx:1.22 nginx:1.22", images);
    }
}
