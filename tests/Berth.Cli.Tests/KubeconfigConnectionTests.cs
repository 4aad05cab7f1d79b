using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Berth.Cli.Daemon;

namespace Berth.Cli.Tests;

public sealed class KubeconfigConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Berths_own_kubeconfig_gives_the_server_the_CA_and_the_token()
    {
        var (pem, thumbprint) = SelfSignedCa();
        var yaml = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: berth
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(pem))}
            users:
            - name: berth
              user:
                token: "0123"
            contexts:
            - name: berth
              context: {"{"}cluster: berth, user: berth, namespace: default{"}"}
            current-context: berth
            preferences: {"{}"}
            """;

        var connection = KubeconfigConnection.Parse(yaml, _dir);

        Assert.NotNull(connection);
        Assert.Equal(new Uri("https://127.0.0.1:6443/"), connection.Server);
        Assert.Equal("0123", connection.Token);
        Assert.Equal(thumbprint, Assert.Single(connection.CertificateAuthorities).Thumbprint);
    }

    [Fact]
    public void The_current_context_chooses_among_several_and_file_references_resolve_next_to_the_kubeconfig()
    {
        var (pem, thumbprint) = SelfSignedCa();
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), pem);
        File.WriteAllText(Path.Combine(_dir, "token"), "secret-token\n");
        const string yaml = """
            clusters:
            - name: other
              cluster: {server: "https://10.0.0.1:6443"}
            - name: local
              cluster: {server: "https://127.0.0.1:7443/", certificate-authority: ca.crt}
            users:
            - name: other
              user: {token: nope}
            - name: me
              user: {tokenFile: token}
            contexts:
            - name: other
              context: {cluster: other, user: other}
            - name: mine
              context: {cluster: local, user: me}
            current-context: mine
            """;

        var connection = KubeconfigConnection.Parse(yaml, _dir);

        Assert.NotNull(connection);
        Assert.Equal(new Uri("https://127.0.0.1:7443/"), connection.Server);
        Assert.Equal("secret-token", connection.Token);
        Assert.Equal(thumbprint, Assert.Single(connection.CertificateAuthorities).Thumbprint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("apiVersion: v1\nkind: Config\n")]
    [InlineData("current-context: missing\ncontexts: []\n")]
    [InlineData("current-context: c\ncontexts:\n- name: c\n  context: {cluster: nowhere, user: u}\n")]
    public void A_kubeconfig_without_a_usable_current_context_gives_no_connection(string yaml) =>
        Assert.Null(KubeconfigConnection.Parse(yaml, _dir));

    [Fact]
    public void A_half_written_file_is_not_ready_yet_rather_than_an_error()
    {
        var path = Path.Combine(_dir, "kubeconfig");
        File.WriteAllText(path, "clusters:\n- name: berth\n  cluster: {server: \"https://127.0.0.1:6443\", certificate-authority-data: QUJD");

        Assert.Null(KubeconfigConnection.TryRead(path));
        Assert.Null(KubeconfigConnection.TryRead(Path.Combine(_dir, "absent")));
    }

    private static (string Pem, string Thumbprint) SelfSignedCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), certificate.Thumbprint);
    }
}
