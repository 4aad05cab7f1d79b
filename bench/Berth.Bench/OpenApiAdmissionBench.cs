using System.Diagnostics;
using System.Text;
using Berth.ApiServer.Admission;
using Berth.ApiServer.OpenApi;
using Berth.Core;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Bench;

/// <summary>
/// "openapi" group: what serving OpenAPI costs the API server (startup must stay fast: /readyz goal 500 ms) and what
/// defaulting plus validation cost per StatefulSet write. Run it alone (scripts/bench openapi) for cold figures:
/// the first calls include JIT and loading the embedded model docs.
/// </summary>
internal static class OpenApiAdmissionBench
{
    private const string StatefulSet = """
        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
         "spec":{"serviceName":"web","replicas":3,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},
           "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80,"name":"http"}],
             "readinessProbe":{"httpGet":{"port":80}},"resources":{"requests":{"cpu":"100m","memory":"64Mi"}},
             "volumeMounts":[{"name":"data","mountPath":"/usr/share/nginx/html"}]}]}},
          "volumeClaimTemplates":[{"metadata":{"name":"data"},
           "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
        """;

    // What kubectl run sends.
    private const string Pod = """
        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"debug","labels":{"run":"debug"},"namespace":"default"},
         "spec":{"containers":[{"name":"debug","image":"busybox","args":["sleep","3600"],"resources":{}}],
          "restartPolicy":"Never","dnsPolicy":"ClusterFirst"},"status":{}}
        """;

    public static Task RunAsync(string[] args)
    {
        // Loading the catalog loads KubernetesClient (12 MB); the server pays that anyway, so it is reported apart.
        var watch = Stopwatch.StartNew();
        var resources = ResourceCatalog.All;
        Report("catalog_load_cold_ms", watch.Elapsed.TotalMilliseconds, "ms");

        watch.Restart();
        var documents = new OpenApiDocuments(resources);
        Report("openapi_construct_cold_ms", watch.Elapsed.TotalMilliseconds, "ms");

        watch.Restart();
        _ = documents.V2;
        _ = documents.V3Index;
        Report("openapi_v2_and_index_cold_ms", watch.Elapsed.TotalMilliseconds, "ms");

        watch.Restart();
        documents.TryGetV3("apis/apps/v1", out var apps, out _);
        Report("openapi_v3_apps_cold_ms", watch.Elapsed.TotalMilliseconds, "ms");

        watch.Restart();
        documents.TryGetV3("api/v1", out var core, out _);
        Report("openapi_v3_core_cold_ms", watch.Elapsed.TotalMilliseconds, "ms");
        Report("openapi_v3_apps_kb", apps.Length / 1024.0, "KiB");
        Report("openapi_v3_core_kb", core.Length / 1024.0, "KiB");
        Report("openapi_v2_bytes", documents.V2.Length, "B");

        watch.Restart();
        documents.TryGetV3("apis/apps/v1", out _, out _);
        Report("openapi_v3_cached_us", watch.Elapsed.TotalMicroseconds, "us");

        var warm = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            watch.Restart();
            var fresh = new OpenApiDocuments(ResourceCatalog.All);
            foreach (var key in fresh.GroupVersions.ToList())
            {
                fresh.TryGetV3(key, out _, out _);
            }

            warm.Add(watch.Elapsed.TotalMilliseconds);
        }

        warm.Sort();
        Report("openapi_v3_all_warm_ms", warm[warm.Count / 2], "ms");

        var bytes = Encoding.UTF8.GetBytes(StatefulSet);
        var set = BerthJson.Deserialize<V1StatefulSet>(bytes)!;
        ObjectDefaulter.Default(set);
        if (ObjectValidator.ValidateCreate(set).Count != 0)
        {
            throw new InvalidOperationException("the benchmark StatefulSet must be valid");
        }

        const int iterations = 20_000;
        for (var i = 0; i < 2_000; i++)
        {
            DefaultAndValidate(bytes);
        }

        watch.Restart();
        for (var i = 0; i < iterations; i++)
        {
            DefaultAndValidate(bytes);
        }

        var decodeAndAdmit = watch.Elapsed.TotalMicroseconds / iterations;
        watch.Restart();
        for (var i = 0; i < iterations; i++)
        {
            BerthJson.Deserialize<V1StatefulSet>(bytes);
        }

        var decodeOnly = watch.Elapsed.TotalMicroseconds / iterations;
        Report("admission_statefulset_default_validate_us", decodeAndAdmit - decodeOnly, "us");

        var old = BerthJson.Deserialize<V1StatefulSet>(bytes)!;
        ObjectDefaulter.Default(old);
        watch.Restart();
        for (var i = 0; i < iterations / 4; i++)
        {
            ObjectValidator.ValidateUpdate(set, old);
        }

        Report("admission_statefulset_validate_update_us", watch.Elapsed.TotalMicroseconds / (iterations / 4), "us");

        var pod = Encoding.UTF8.GetBytes(Pod);
        for (var i = 0; i < 2_000; i++)
        {
            AdmitPod(pod);
        }

        watch.Restart();
        for (var i = 0; i < iterations; i++)
        {
            AdmitPod(pod);
        }

        var podAdmit = watch.Elapsed.TotalMicroseconds / iterations;
        watch.Restart();
        for (var i = 0; i < iterations; i++)
        {
            BerthJson.Deserialize<V1Pod>(pod);
        }

        Report("admission_pod_default_validate_us", podAdmit - (watch.Elapsed.TotalMicroseconds / iterations), "us");
        return Task.CompletedTask;
    }

    private static void AdmitPod(byte[] bytes)
    {
        var pod = BerthJson.Deserialize<V1Pod>(bytes)!;
        ObjectDefaulter.Default(pod);
        ObjectDefaulter.AdmitCreate(pod);
        ObjectValidator.ValidateCreate(pod);
    }

    private static void DefaultAndValidate(byte[] bytes)
    {
        var set = BerthJson.Deserialize<V1StatefulSet>(bytes)!;
        ObjectDefaulter.Default(set);
        ObjectValidator.ValidateCreate(set);
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine($"{name}: {value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} {unit}");
}
