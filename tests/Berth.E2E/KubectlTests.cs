namespace Berth.E2E;

/// <summary>Real kubectl 1.33 and 1.27 against a real <c>berth serve</c>: the commands users type.</summary>
public sealed class KubectlTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _fixture;

    public KubectlTests(ServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Versions => new("1.33", "1.27");

    private async Task<(Kubectl Kubectl, string Ns)> SetUpAsync(string version, string test)
    {
        Assert.True(Kubectl.IsInstalled(version), $"kubectl {version} is not installed");
        var kubectl = _fixture.Kubectl(version);
        var ns = $"{test}-{version.Replace(".", "", StringComparison.Ordinal)}";
        (await kubectl.RunAsync("apply -f -", Manifests.Namespace(ns))).ShouldSucceed();
        return (kubectl, ns);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Apply_creates_and_a_second_apply_is_unchanged(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "apply");
        var manifest = Manifests.Service(ns, "web") + "\n---\n" + Manifests.StatefulSet(ns, "web");

        var first = (await kubectl.RunAsync("apply -f -", manifest)).ShouldSucceed();
        var second = (await kubectl.RunAsync("apply -f -", manifest)).ShouldSucceed();

        Assert.Contains("service/web created", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("statefulset.apps/web created", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("service/web unchanged", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("statefulset.apps/web unchanged", second.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Get_prints_upstream_tables_and_every_output_format(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "get");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web") + "\n---\n" + Manifests.StatefulSet(ns, "api", replicas: 3)))
            .ShouldSucceed();

        var table = (await kubectl.RunAsync($"get sts -n {ns}")).ShouldSucceed().Stdout;
        Assert.Matches(@"NAME\s+READY\s+AGE", table);
        Assert.Matches(@"web\s+\d/2\s+\d+s", table);

        var wide = (await kubectl.RunAsync($"get statefulsets -n {ns} -o wide")).ShouldSucceed().Stdout;
        Assert.Matches(@"NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES", wide);
        Assert.Matches(@"api\s+\d/3\s+\S+\s+main\s+nginx:1.25", wide);

        var labels = (await kubectl.RunAsync($"get sts web -n {ns} --show-labels")).ShouldSucceed().Stdout;
        Assert.Matches(@"web\s+\d/2\s+\S+\s+app=web", labels);

        var all = (await kubectl.RunAsync("get sts -A")).ShouldSucceed().Stdout;
        Assert.Matches($@"{ns}\s+web\s+\d/2", all);

        var sorted = (await kubectl.RunAsync($"get sts -n {ns} --sort-by=.spec.replicas -o name")).ShouldSucceed().Stdout;
        Assert.Equal("statefulset.apps/web\nstatefulset.apps/api\n", sorted);
        var sortedTable = (await kubectl.RunAsync($"get sts -n {ns} --sort-by=.metadata.name")).ShouldSucceed().Stdout;
        Assert.True(sortedTable.IndexOf("api", StringComparison.Ordinal) < sortedTable.IndexOf("web", StringComparison.Ordinal), sortedTable);

        var yaml = (await kubectl.RunAsync($"get sts web -n {ns} -o yaml")).ShouldSucceed().Stdout;
        Assert.Contains("kind: StatefulSet", yaml, StringComparison.Ordinal);
        Assert.Matches("uid: [0-9a-f-]{36}", yaml);
        Assert.Contains("generation: 1", yaml, StringComparison.Ordinal);

        var json = (await kubectl.RunAsync($"get sts web -n {ns} -o json")).ShouldSucceed().Stdout;
        Assert.Contains("\"resourceVersion\": \"", json, StringComparison.Ordinal);

        var jsonpath = (await kubectl.RunAsync($"get sts -n {ns} -o jsonpath={{.items[*].metadata.name}}")).ShouldSucceed().Stdout;
        Assert.Equal("api web", jsonpath);

        var columns = (await kubectl.RunAsync($"get sts -n {ns} -o custom-columns=N:.metadata.name,R:.spec.replicas")).ShouldSucceed().Stdout;
        Assert.Matches(@"N\s+R\napi\s+3\nweb\s+2", columns);

        var missing = await kubectl.RunAsync($"get sts nope -n {ns}");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Error from server (NotFound): statefulsets.apps \"nope\" not found", missing.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Describe_shows_the_statefulset(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "describe");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web"))).ShouldSucceed();

        var output = (await kubectl.RunAsync($"describe sts web -n {ns}")).ShouldSucceed().Stdout;

        Assert.Matches(@"Name:\s+web", output);
        Assert.Matches($@"Namespace:\s+{ns}", output);
        Assert.Matches(@"Selector:\s+app=web", output);
        Assert.Matches(@"Replicas:\s+2 desired", output);
        Assert.Matches(@"Image:\s+nginx:1.25", output);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Scale_label_annotate_and_patch_change_the_object(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "edit");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web"))).ShouldSucceed();

        Assert.Contains("statefulset.apps/web scaled", (await kubectl.RunAsync($"scale sts web -n {ns} --replicas=5")).ShouldSucceed().Stdout,
            StringComparison.Ordinal);
        Assert.Contains("labeled", (await kubectl.RunAsync($"label sts web -n {ns} tier=db")).ShouldSucceed().Stdout, StringComparison.Ordinal);
        // kubectl 1.27 prints "annotate", later versions "annotated".
        Assert.Contains("statefulset.apps/web annotate", (await kubectl.RunAsync($"annotate sts web -n {ns} note=hi")).ShouldSucceed().Stdout,
            StringComparison.Ordinal);
        (await kubectl.RunAsync($"patch sts web -n {ns} --type=merge -p '{{\"spec\":{{\"minReadySeconds\":3}}}}'")).ShouldSucceed();
        (await kubectl.RunAsync($"patch sts web -n {ns} --type=json -p '[{{\"op\":\"add\",\"path\":\"/metadata/labels/json\",\"value\":\"yes\"}}]'"))
            .ShouldSucceed();
        var noChange = (await kubectl.RunAsync($"patch sts web -n {ns} --type=merge -p '{{\"spec\":{{\"minReadySeconds\":3}}}}'")).ShouldSucceed();
        Assert.Contains("patched (no change)", noChange.Stdout, StringComparison.Ordinal);

        var fields = (await kubectl.RunAsync(
            $"get sts web -n {ns} -o jsonpath={{.spec.replicas}},{{.metadata.labels.tier}},{{.metadata.annotations.note}},{{.spec.minReadySeconds}},{{.metadata.labels.json}},{{.metadata.generation}}"))
            .ShouldSucceed().Stdout;
        // Two spec changes (scale, minReadySeconds) → generation 3; metadata changes do not bump it.
        Assert.Equal("5,db,hi,3,yes,3", fields);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Delete_with_each_cascade_and_force_removes_the_objects(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "delete");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "bg") + "\n---\n" + Manifests.StatefulSet(ns, "orphan")
            + "\n---\n" + Manifests.StatefulSet(ns, "fg") + "\n---\n" + Manifests.Pod(ns, "pod"))).ShouldSucceed();

        Assert.Contains("statefulset.apps \"bg\" deleted", (await kubectl.RunAsync($"delete sts bg -n {ns}")).ShouldSucceed().Stdout,
            StringComparison.Ordinal);
        (await kubectl.RunAsync($"delete sts orphan -n {ns} --cascade=orphan")).ShouldSucceed();
        (await kubectl.RunAsync($"delete sts fg -n {ns} --cascade=foreground")).ShouldSucceed();
        var force = (await kubectl.RunAsync($"delete pod pod -n {ns} --force --grace-period=0")).ShouldSucceed();
        Assert.Contains("pod \"pod\" force deleted", force.Stdout, StringComparison.Ordinal);

        // The garbage collector removes the background and foreground dependents; the orphaned pods stay.
        var left = "";
        for (var i = 0; i < 120; i++)
        {
            left = (await kubectl.RunAsync($"get sts,pods -n {ns} -o name")).ShouldSucceed().Stdout.Trim();
            if (!left.Contains("bg-", StringComparison.Ordinal) && !left.Contains("fg", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.Equal("pod/orphan-0\npod/orphan-1", left);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Deleting_a_pod_with_a_finalizer_waits_until_the_finalizer_is_removed(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "finalizer");
        (await kubectl.RunAsync("apply -f -", Manifests.Pod(ns, "held", finalizer: "example.com/hold"))).ShouldSucceed();

        var pending = (await kubectl.RunAsync($"delete pod held -n {ns} --wait=false --grace-period=0 --force")).ShouldSucceed();
        Assert.Contains("deleted", pending.Stdout, StringComparison.Ordinal);
        var marked = (await kubectl.RunAsync($"get pod held -n {ns} -o jsonpath={{.metadata.deletionTimestamp}}")).ShouldSucceed().Stdout;
        Assert.NotEmpty(marked);

        (await kubectl.RunAsync($"patch pod held -n {ns} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}}]'"))
            .ShouldSucceed();
        var gone = await kubectl.RunAsync($"get pod held -n {ns}");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("NotFound", gone.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Get_watch_prints_existing_and_new_objects(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "watch");
        (await kubectl.RunAsync("apply -f -", Manifests.ConfigMap(ns, "first"))).ShouldSucceed();

        var watch = kubectl.RunAsync($"get cm -n {ns} -w", timeoutSeconds: 6);
        await Task.Delay(2500);
        (await kubectl.RunAsync("apply -f -", Manifests.ConfigMap(ns, "second"))).ShouldSucceed();
        var result = await watch;

        Assert.Matches(@"NAME\s+DATA\s+AGE", result.Stdout);
        Assert.Matches(@"first\s+1\s+", result.Stdout);
        Assert.Matches(@"second\s+1\s+", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Wait_returns_once_the_pod_is_ready(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "wait");
        (await kubectl.RunAsync("apply -f -", Manifests.Pod(ns, "ready"))).ShouldSucceed();
        var wait = kubectl.RunAsync($"wait --for=condition=Ready pod/ready -n {ns} --timeout=20s", timeoutSeconds: 30);
        await Task.Delay(1000);

        (await kubectl.RunAsync(
            $"patch pod ready -n {ns} --subresource=status --type=merge -p '{{\"status\":{{\"conditions\":[{{\"type\":\"Ready\",\"status\":\"True\"}}]}}}}'"))
            .ShouldSucceed();

        var result = (await wait).ShouldSucceed();
        Assert.Contains("pod/ready condition met", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Errors_are_printed_as_upstream_prints_them(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "errors");
        (await kubectl.RunAsync("apply -f -", Manifests.ConfigMap(ns, "dup"))).ShouldSucceed();

        var exists = await kubectl.RunAsync("create -f -", Manifests.ConfigMap(ns, "dup"));
        Assert.Contains("Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"dup\" already exists", exists.Stderr,
            StringComparison.Ordinal);

        var badName = await kubectl.RunAsync("apply -f -", Manifests.ConfigMap(ns, "Bad_Name"));
        Assert.Contains("is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", badName.Stderr,
            StringComparison.Ordinal);

        var unknownField = await kubectl.RunAsync("apply -f -", Manifests.ConfigMap(ns, "strict") + "\nbogus: 1\n");
        Assert.NotEqual(0, unknownField.ExitCode);
        Assert.Contains("unknown field \"bogus\"", unknownField.Stderr, StringComparison.Ordinal);

        var noType = await kubectl.RunAsync("get widgets");
        Assert.Contains("the server doesn't have a resource type \"widgets\"", noType.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Apply_of_a_changed_manifest_is_configured_and_bumps_the_generation(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "configured");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web"))).ShouldSucceed();

        var changed = (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web", image: "nginx:1.26"))).ShouldSucceed();

        Assert.Contains("statefulset.apps/web configured", changed.Stdout, StringComparison.Ordinal);
        var fields = (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.template.spec.containers[0].image}},{{.metadata.generation}}"))
            .ShouldSucceed().Stdout;
        Assert.Equal("nginx:1.26,2", fields);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Server_side_apply_creates_then_applies_and_reports_conflicts(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "ssa");

        var created = (await kubectl.RunAsync("apply --server-side -f -", Manifests.StatefulSet(ns, "web"))).ShouldSucceed();
        Assert.Contains("statefulset.apps/web serverside-applied", created.Stdout, StringComparison.Ordinal);
        var again = (await kubectl.RunAsync("apply --server-side -f -", Manifests.StatefulSet(ns, "web", replicas: 4))).ShouldSucceed();
        Assert.Contains("serverside-applied", again.Stdout, StringComparison.Ordinal);
        Assert.Equal("4", (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.replicas}}")).ShouldSucceed().Stdout);

        var conflict = await kubectl.RunAsync("apply --server-side --field-manager=other -f -", Manifests.StatefulSet(ns, "web", replicas: 6));
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict", conflict.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(".spec.replicas", conflict.Stderr, StringComparison.Ordinal);

        (await kubectl.RunAsync("apply --server-side --field-manager=other --force-conflicts -f -", Manifests.StatefulSet(ns, "web", replicas: 6)))
            .ShouldSucceed();
        Assert.Equal("6", (await kubectl.RunAsync($"get sts web -n {ns} -o jsonpath={{.spec.replicas}}")).ShouldSucceed().Stdout);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Strategic_patch_and_set_image_merge_containers_by_name(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "smp");
        (await kubectl.RunAsync("apply -f -", Manifests.StatefulSet(ns, "web"))).ShouldSucceed();

        (await kubectl.RunAsync($"patch sts web -n {ns} -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"side\",\"image\":\"busybox\"}}]}}}}}}}}'"))
            .ShouldSucceed();
        Assert.Contains("image updated", (await kubectl.RunAsync($"set image sts/web -n {ns} main=nginx:1.27")).ShouldSucceed().Stdout,
            StringComparison.Ordinal);

        var images = (await kubectl.RunAsync($"get sts web -n {ns} -o 'jsonpath={{range .spec.template.spec.containers[*]}}{{.name}}={{.image}};{{end}}'"))
            .ShouldSucceed().Stdout;
        // upstream mergeSortedSlice puts patch items not in the live list before the live-only ones.
        Assert.Equal("side=busybox;main=nginx:1.27;", images);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Explain_prints_field_documentation(string version)
    {
        var (kubectl, _) = await SetUpAsync(version, "explain");

        var output = (await kubectl.RunAsync("explain statefulset.spec.updateStrategy")).ShouldSucceed().Stdout;

        Assert.Contains("KIND:", output, StringComparison.Ordinal);
        Assert.Contains("StatefulSet", output, StringComparison.Ordinal);
        Assert.Contains("rollingUpdate", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task An_invalid_statefulset_is_refused_with_the_upstream_message(string version)
    {
        var (kubectl, ns) = await SetUpAsync(version, "invalid");
        var manifest = Manifests.StatefulSet(ns, "web").Replace("matchLabels: {app: web}", "matchLabels: {app: other}", StringComparison.Ordinal);

        var result = await kubectl.RunAsync("apply -f -", manifest);

        Assert.NotEqual(0, result.ExitCode);
        // kubectl rewrites a 422 from "StatefulSet.apps \"web\" is invalid: ..." into "The StatefulSet \"web\" is invalid: ...".
        Assert.Contains("The StatefulSet \"web\" is invalid: spec.template.metadata.labels: Invalid value:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("`selector` does not match template `labels`", result.Stderr, StringComparison.Ordinal);
    }
}
