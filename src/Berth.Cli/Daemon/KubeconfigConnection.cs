using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Berth.Serialization;

namespace Berth.Cli.Daemon;

/// <summary>
/// What the CLI needs from a kubeconfig to reach a running Berth: the current context's server URL, the CA that
/// signed its serving certificate, and the user's bearer token. Read through <see cref="YamlToJson"/> rather than
/// KubernetesClient's <c>KubernetesClientConfiguration</c>, whose YAML loading is reflection-based and does not
/// survive Native AOT; Berth only ever writes token users (DATA/kubeconfig), so that is all this reads.
/// </summary>
internal sealed class KubeconfigConnection
{
    private KubeconfigConnection(Uri server, X509Certificate2Collection certificateAuthorities, string? token)
    {
        Server = server;
        CertificateAuthorities = certificateAuthorities;
        Token = token;
    }

    /// <summary>The server URL with a trailing slash, so relative paths resolve under it.</summary>
    public Uri Server { get; }

    /// <summary>The cluster's CA certificates (empty: the system roots decide).</summary>
    public X509Certificate2Collection CertificateAuthorities { get; }

    public string? Token { get; }

    /// <summary>Reads the file; null when it does not exist (yet), is half-written, or names no usable context.</summary>
    public static KubeconfigConnection? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path))!) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlConversionException
            or FormatException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses kubeconfig YAML the way kubectl resolves it for a single file: <c>current-context</c> names a context,
    /// which names a cluster (<c>server</c>, <c>certificate-authority-data</c> or a <c>certificate-authority</c> path
    /// relative to the file) and a user (<c>token</c> or <c>tokenFile</c>). Null when any link is missing.
    /// </summary>
    public static KubeconfigConnection? Parse(string yaml, string baseDirectory)
    {
        if (YamlToJson.ConvertSingle(yaml) is not JsonObject root || Text(root, "current-context") is not { Length: > 0 } current)
        {
            return null;
        }

        var context = Named(root, "contexts", current)?["context"] as JsonObject;
        var cluster = context is null || Text(context, "cluster") is not { } clusterName ? null : Named(root, "clusters", clusterName)?["cluster"] as JsonObject;
        if (cluster is null || Text(cluster, "server") is not { Length: > 0 } server)
        {
            return null;
        }

        var roots = new X509Certificate2Collection();
        if (Text(cluster, "certificate-authority-data") is { Length: > 0 } caData)
        {
            roots.ImportFromPem(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(caData)));
        }
        else if (Text(cluster, "certificate-authority") is { Length: > 0 } caFile)
        {
            roots.ImportFromPemFile(Path.Combine(baseDirectory, caFile));
        }

        var user = context is not null && Text(context, "user") is { } userName ? Named(root, "users", userName)?["user"] as JsonObject : null;
        var token = user is null ? null
            : Text(user, "token") is { Length: > 0 } t ? t
            : Text(user, "tokenFile") is { Length: > 0 } tokenFile ? File.ReadAllText(Path.Combine(baseDirectory, tokenFile)).Trim()
            : null;
        return new KubeconfigConnection(new Uri(server.TrimEnd('/') + "/"), roots, token);
    }

    /// <summary>A transport that trusts exactly <see cref="CertificateAuthorities"/> (or the system roots when empty).</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var roots = CertificateAuthorities;
        return new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, roots),
            },
        };
    }

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || roots.Count == 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        // The serving certificate chains to the data dir's own CA, not to a system root: trust exactly that CA.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private static JsonObject? Named(JsonObject root, string section, string name) =>
        (root[section] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => Text(e, "name") == name);

    private static string? Text(JsonObject o, string property) =>
        o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
