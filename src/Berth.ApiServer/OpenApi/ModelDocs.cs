using System.IO.Compression;
using System.Text;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// Descriptions of the KubernetesClient model types and properties (generated upstream from the Go doc comments),
/// extracted at build time from the package's XML docs into an embedded gzip resource (see Berth.ApiServer.csproj).
/// Keys are "k8s.Models.V1StatefulSetSpec" for types and "k8s.Models.V1StatefulSetSpec.Replicas" for properties.
/// </summary>
internal sealed class ModelDocs
{
    private const string ResourceName = "Berth.ApiServer.OpenApi.kubernetes-model-docs.txt.gz";

    private readonly Dictionary<string, string> _descriptions;

    private ModelDocs(Dictionary<string, string> descriptions) => _descriptions = descriptions;

    public static ModelDocs Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    public int Count => _descriptions.Count;

    public static ModelDocs Load()
    {
        using var stream = typeof(ModelDocs).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
        {
            return Empty;
        }

        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var descriptions = new Dictionary<string, string>(8192, StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0)
            {
                descriptions[line[..tab]] = Unescape(line[(tab + 1)..]);
            }
        }

        return new ModelDocs(descriptions);
    }

    public string? ForType(Type type) => _descriptions.GetValueOrDefault(type.FullName ?? "");

    public string? ForProperty(Type type, string propertyName) => _descriptions.GetValueOrDefault(type.FullName + "." + propertyName);

    private static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                result.Append(text[++i] == 'n' ? '\n' : text[i]);
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}
