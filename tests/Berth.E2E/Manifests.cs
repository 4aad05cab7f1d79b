namespace Berth.E2E;

internal static class Manifests
{
    public static string Namespace(string name) => $"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {name}
        """;

    public static string StatefulSet(string ns, string name, string image = "nginx:1.25", int replicas = 2) => $"""
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: {name}
          namespace: {ns}
          labels: {"{"}app: {name}{"}"}
        spec:
          serviceName: {name}
          replicas: {replicas}
          selector:
            matchLabels: {"{"}app: {name}{"}"}
          template:
            metadata:
              labels: {"{"}app: {name}{"}"}
            spec:
              containers:
              - name: main
                image: {image}
                ports: [{"{"}containerPort: 80, name: http{"}"}]
        """;

    public static string Service(string ns, string name) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          clusterIP: None
          selector: {"{"}app: {name}{"}"}
          ports: [{"{"}port: 80, name: http{"}"}]
        """;

    public static string ConfigMap(string ns, string name, string value = "1") => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {name}
          namespace: {ns}
        data:
          key: "{value}"
        """;

    public static string Pod(string ns, string name, string? finalizer = null) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {ns}
          labels: {"{"}app: {name}{"}"}
        {(finalizer is null ? "" : $"  finalizers: [{finalizer}]")}
        spec:
          nodeName: node-1
          containers:
          - name: main
            image: busybox
        """;
}
