using System.Text;

namespace Berth.ApiServer.Serving;

/// <summary>DATA/kubeconfig: cluster, user and context all named "berth", CA embedded, bearer token.</summary>
internal static class KubeconfigFile
{
    public const string Name = "berth";

    public static string Render(string serverUrl, string caPem, string token)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {Name}
              cluster:
                server: {serverUrl}
                certificate-authority-data: {ca}
            users:
            - name: {Name}
              user:
                token: {token}
            contexts:
            - name: {Name}
              context:
                cluster: {Name}
                user: {Name}
                namespace: default
            current-context: {Name}
            preferences: {"{}"}

            """;
    }

    public static void Write(string path, string serverUrl, string caPem, string token) =>
        ServingCredentials.WritePrivate(path, Render(serverUrl, caPem, token));
}
