using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Selectors;
using Berth.Serialization;
using Berth.Serialization.Patching;
using Berth.Serialization.Patching.Apply;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// scripts/bench patch: per-operation cost of the request-body work the API server does for kubectl's writes
/// (strategic merge patch of an apply/set-image body, merge patch of a scale, JSON patch, server-side re-apply,
/// YAML manifest decoding, label selector parse and match). Informational: no issue names a goal for these; they
/// bound what patch and apply cost inside api_create_ops_per_s and friends.
/// </summary>
internal static class PatchBenchmarks
{
    private const string StatefulSet = """
        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"pg","namespace":"default","uid":"u","resourceVersion":"7",
         "labels":{"app":"pg"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
         "spec":{"replicas":3,"serviceName":"pg","selector":{"matchLabels":{"app":"pg"}},
          "template":{"metadata":{"labels":{"app":"pg"}},"spec":{"containers":[
            {"name":"postgres","image":"postgres:16","ports":[{"containerPort":5432,"name":"pg"}],
             "env":[{"name":"POSTGRES_PASSWORD","value":"x"},{"name":"PGDATA","value":"/var/lib/postgresql/data/pgdata"}],
             "volumeMounts":[{"name":"data","mountPath":"/var/lib/postgresql/data"}]}]}},
          "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
        """;

    private const string ApplyBody = """
        {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}"}},
         "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"postgres"}],"containers":[{"image":"postgres:16.1","name":"postgres"}]}}}}
        """;

    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata:
          name: pg
        spec:
          clusterIP: None
          selector:
            app: pg
          ports:
          - port: 5432
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: pg
        spec:
          replicas: 3
          serviceName: pg
          selector:
            matchLabels:
              app: pg
          template:
            metadata:
              labels:
                app: pg
            spec:
              containers:
              - name: postgres
                image: postgres:16
                env:
                - name: POSTGRES_PASSWORD
                  value: "secret"
                ports:
                - containerPort: 5432
                volumeMounts:
                - name: data
                  mountPath: /var/lib/postgresql/data
          volumeClaimTemplates:
          - metadata:
              name: data
            spec:
              accessModes: ["ReadWriteOnce"]
              resources:
                requests:
                  storage: 1Gi
        """;

    public static Task RunAsync(string[] args)
    {
        var live = JsonNode.Parse(StatefulSet)!;
        var applyBody = JsonNode.Parse(ApplyBody)!;
        var scale = JsonNode.Parse("""{"spec":{"replicas":5}}""")!;
        var jsonPatch = JsonNode.Parse("""[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":5}]""")!;
        var manifest = YamlToJson.ConvertAll(Manifest)[1];
        var now = new DateTime(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);
        var applied = ServerSideApply.Apply(null, manifest, "kubectl", false, typeof(V1StatefulSet), now).Merged;
        var labels = new Dictionary<string, string> { ["app"] = "pg", ["tier"] = "db", ["statefulset.kubernetes.io/pod-name"] = "pg-0" };

        Report("patch_smp_kubectl_apply_us", () => StrategicMergePatch.Apply(live, applyBody, typeof(V1StatefulSet)));
        Report("patch_merge_scale_us", () => JsonMergePatch.Apply(live, scale));
        Report("patch_json_test_replace_us", () => JsonPatch.Apply(live, jsonPatch));
        Report("patch_ssa_reapply_us", () => ServerSideApply.Apply(applied, manifest, "kubectl", false, typeof(V1StatefulSet), now));
        Report("patch_yaml_manifest_us", () => YamlToJson.ConvertAll(Manifest));
        Report("patch_label_selector_parse_match_us", () => LabelSelector.Parse("app=pg,tier in (db,cache),!canary").Matches(labels));
        return Task.CompletedTask;
    }

    /// <summary>Warms up, then times batches for about a second and prints the median microseconds per operation.</summary>
    private static void Report(string name, Func<object?> op)
    {
        for (var i = 0; i < 200; i++)
        {
            op();
        }

        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed < TimeSpan.FromSeconds(1) || samples.Count < 5)
        {
            const int Batch = 100;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < Batch; i++)
            {
                op();
            }

            samples.Add(sw.Elapsed.TotalMicroseconds / Batch);
        }

        samples.Sort();
        Console.WriteLine($"{name}: {samples[samples.Count / 2].ToString("0.0", CultureInfo.InvariantCulture)} us");
    }
}
