using System.Diagnostics;

namespace Berth.E2E;

/// <summary>Runs a real kubectl binary (1.27 ... 1.33) against a server, with its own empty cache dir.</summary>
public sealed class Kubectl
{
    private const string SdkBin = "/usr/lib/google-cloud-sdk/bin";
    private readonly string _binary;
    private readonly string _kubeconfig;
    private readonly string _cacheDir;

    public Kubectl(string version, string kubeconfig, string cacheDir)
    {
        _binary = Path.Combine(SdkBin, "kubectl." + version);
        _kubeconfig = kubeconfig;
        _cacheDir = cacheDir;
        Version = version;
    }

    public string Version { get; }

    public static bool IsInstalled(string version) => File.Exists(Path.Combine(SdkBin, "kubectl." + version));

    public async Task<KubectlResult> RunAsync(string arguments, string? stdin = null, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--kubeconfig=" + _kubeconfig);
        start.ArgumentList.Add("--cache-dir=" + _cacheDir);
        foreach (var arg in Split(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + _binary);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new KubectlResult(-1, await stdout, await stderr + "\n(timed out)");
        }

        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

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
