using System.Text.Json;
using Berth.Controllers.Client;
using Berth.Serialization;
using k8s;
using k8s.Models;

namespace Berth.Controllers.GarbageCollection;

/// <summary>The typed client calls the garbage collector needs, closed over one resource type.</summary>
internal sealed class OwnerKindOperations
{
    private OwnerKindOperations(
        string apiVersion,
        string kind,
        Func<string?, string, CancellationToken, Task<V1ObjectMeta?>> get,
        Func<string?, string, V1DeleteOptions, CancellationToken, Task> delete,
        Func<string?, string, byte[], CancellationToken, Task> patch)
    {
        ApiVersion = apiVersion;
        Kind = kind;
        GetAsync = get;
        DeleteAsync = delete;
        PatchAsync = patch;
    }

    public string ApiVersion { get; }

    public string Kind { get; }

    public Func<string?, string, CancellationToken, Task<V1ObjectMeta?>> GetAsync { get; }

    public Func<string?, string, V1DeleteOptions, CancellationToken, Task> DeleteAsync { get; }

    /// <summary>JSON merge patch.</summary>
    public Func<string?, string, byte[], CancellationToken, Task> PatchAsync { get; }

    public static OwnerKindOperations For<T>(IApiClient client)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var d = ResourceOf<T>.Descriptor;
        return new OwnerKindOperations(
            d.ApiVersion,
            d.Kind,
            async (ns, name, ct) => (await client.GetAsync<T>(ns, name, ct).ConfigureAwait(false))?.Metadata,
            (ns, name, options, ct) => client.DeleteAsync<T>(ns, name, options, ct),
            (ns, name, patch, ct) => client.PatchAsync<T>(ns, name, PatchType.Merge, patch, ct));
    }

    /// <summary>A merge patch replacing one metadata list, guarded by uid and resourceVersion.</summary>
    public static byte[] MetadataListPatch(V1ObjectMeta meta, string field, IEnumerable<object> values)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteString("uid", meta.Uid);
            w.WriteString("resourceVersion", meta.ResourceVersion);
            w.WritePropertyName(field);
            var list = values.ToList();
            if (list.Count == 0)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStartArray();
                foreach (var v in list)
                {
                    if (v is string s)
                    {
                        w.WriteStringValue(s);
                    }
                    else
                    {
                        w.WriteRawValue(BerthJson.SerializeToUtf8Bytes((V1OwnerReference)v));
                    }
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }
}
