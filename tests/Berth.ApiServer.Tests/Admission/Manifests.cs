using System.Text;
using Berth.ApiServer.Admission;
using Berth.Serialization;

namespace Berth.ApiServer.Tests.Admission;

/// <summary>Decodes test manifests the way the registry does: JSON to model, then upstream defaulting.</summary>
internal static class Manifests
{
    public const string StatefulSet = """
        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web","namespace":"default"},
         "spec":{"serviceName":"web","replicas":3,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},
           "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80,"name":"http"}],
             "volumeMounts":[{"name":"data","mountPath":"/usr/share/nginx/html"}]}]}},
          "volumeClaimTemplates":[{"metadata":{"name":"data"},
           "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
        """;

    public const string Pod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug","namespace":"default","labels":{"run":"debug"}},
         "spec":{"containers":[{"name":"debug","image":"busybox","args":["sleep","3600"],"resources":{}}],
          "restartPolicy":"Never","dnsPolicy":"ClusterFirst"},"status":{}}
        """;

    public const string Service = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
         "spec":{"clusterIP":"None","selector":{"app":"web"},"ports":[{"port":80,"name":"http"}]}}
        """;

    public const string Claim = """
        {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data-web-0","namespace":"default"},
         "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}
        """;

    public static T Decode<T>(string json, bool defaulted = true)
        where T : class
    {
        var model = BerthJson.Deserialize<T>(Encoding.UTF8.GetBytes(json))!;
        if (defaulted)
        {
            ObjectDefaulter.Default(model);
        }

        return model;
    }

    public static string[] Messages(IEnumerable<FieldError> errors) => errors.Select(e => e.ToString()).ToArray();
}
