using System.Text;
using System.Text.Json;

namespace Berth.Storage.Tests;

/// <summary>Small Kubernetes-shaped JSON objects for tests.</summary>
internal static class Obj
{
    public static byte[] ConfigMap(string name, string data = "1", string? uid = null) =>
        Encoding.UTF8.GetBytes(
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"default","uid":"{{{uid ?? "uid-" + name}}}"},"data":{"v":"{{{data}}}"}}""");

    public static string Data(KeyValue kv) => Parse(kv).GetProperty("data").GetProperty("v").GetString()!;

    public static string ResourceVersion(KeyValue kv) => Parse(kv).GetProperty("metadata").GetProperty("resourceVersion").GetString()!;

    public static JsonElement Parse(KeyValue kv) => JsonDocument.Parse(kv.Value).RootElement;
}
