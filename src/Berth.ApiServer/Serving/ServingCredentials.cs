using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Berth.ApiServer.Serving;

/// <summary>
/// The data dir's TLS and authentication material: a CA, a serving certificate for 127.0.0.1, ::1 and
/// localhost signed by it, and a bearer token. Generated on first start (ECDSA P-256: milliseconds, which
/// keeps first start inside the readiness budget), kept as 0600 files and reused afterwards so an existing
/// kubeconfig stays valid across restarts.
/// </summary>
internal sealed class ServingCredentials
{
    private const string CaCertFile = "ca.crt";
    private const string CaKeyFile = "ca.key";
    private const string ServingCertFile = "apiserver.crt";
    private const string ServingKeyFile = "apiserver.key";
    private const string TokenFile = "token";

    private ServingCredentials(X509Certificate2 servingCertificate, string caPem, string token)
    {
        ServingCertificate = servingCertificate;
        CaPem = caPem;
        Token = token;
    }

    public X509Certificate2 ServingCertificate { get; }

    public string CaPem { get; }

    public string Token { get; }

    public static ServingCredentials LoadOrCreate(string dataDir, TimeProvider time)
    {
        Directory.CreateDirectory(dataDir);
        var caCertPath = Path.Combine(dataDir, CaCertFile);
        var certPath = Path.Combine(dataDir, ServingCertFile);
        var keyPath = Path.Combine(dataDir, ServingKeyFile);
        var tokenPath = Path.Combine(dataDir, TokenFile);
        if (!File.Exists(caCertPath) || !File.Exists(certPath) || !File.Exists(keyPath) || !File.Exists(tokenPath))
        {
            Generate(dataDir, time);
        }

        var serving = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        var token = File.ReadAllText(tokenPath).Trim();
        return new ServingCredentials(serving, File.ReadAllText(caCertPath), token);
    }

    private static void Generate(string dataDir, TimeProvider time)
    {
        var now = time.GetUtcNow();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=berth-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=berth-apiserver", servingKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        san.AddDnsName("kubernetes");
        san.AddDnsName("kubernetes.default.svc");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var serving = request.Create(ca, now.AddMinutes(-5), now.AddYears(10), serial);

        WritePrivate(Path.Combine(dataDir, CaKeyFile), caKey.ExportPkcs8PrivateKeyPem());
        WritePrivate(Path.Combine(dataDir, CaCertFile), ca.ExportCertificatePem());
        WritePrivate(Path.Combine(dataDir, ServingKeyFile), servingKey.ExportPkcs8PrivateKeyPem());
        WritePrivate(Path.Combine(dataDir, ServingCertFile), serving.ExportCertificatePem());
        WritePrivate(Path.Combine(dataDir, TokenFile), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
    }

    /// <summary>Writes a file readable only by its owner (0600), atomically (temp file + rename).</summary>
    internal static void WritePrivate(string path, string content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }
}
