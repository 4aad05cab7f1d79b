namespace Berth.E2E;

/// <summary>Runs a real kubectl binary (1.27 ... 1.33) against a server, with its own empty cache dir.</summary>
public sealed class Kubectl
{
    private const string SdkBin = "/usr/lib/google-cloud-sdk/bin";
    private readonly string _binary;
    private readonly string _kubeconfig;
    private readonly string _cacheDir;

    /// <param name="binary">The binary to run; by default the SDK's <c>kubectl.VERSION</c>. kubectl names itself in its
    /// User-Agent after the file it was started as, which is the field manager the server records when none is given.</param>
    public Kubectl(string version, string kubeconfig, string cacheDir, string? binary = null)
    {
        _binary = binary ?? Binary(version);
        _kubeconfig = kubeconfig;
        _cacheDir = cacheDir;
        Version = version;
    }

    public string Version { get; }

    public static bool IsInstalled(string version) => File.Exists(Binary(version));

    public static string Binary(string version) => Path.Combine(SdkBin, "kubectl." + version);

    public Task<KubectlResult> RunAsync(string arguments, string? stdin = null, int timeoutSeconds = 60) =>
        ProcessRunner.RunAsync(ProcessRunner.StartInfo(_binary, ["--kubeconfig=" + _kubeconfig, "--cache-dir=" + _cacheDir, .. Split(arguments)]),
            stdin, timeoutSeconds);

    /// <summary>Splits like a shell for the simple quoting the tests use ('...' and "...").</summary>
    internal static List<string> Split(string arguments)
    {
        var result = new List<string>();
        var current = new System.Text.StringBuilder();
        char? quote = null;
        var any = false;
        foreach (var c in arguments)
        {
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0 || any)
                {
                    result.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0 || any)
        {
            result.Add(current.ToString());
        }

        return result;
    }
}
