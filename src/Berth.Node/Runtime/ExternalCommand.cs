using System.Diagnostics;

namespace Berth.Node.Runtime;

/// <summary>Runs short host tools (<c>ip</c>, <c>nsenter</c>) and reports their output.</summary>
internal static class ExternalCommand
{
    internal sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? standardInput = null,
        CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new IOException($"could not start {file}");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs the tool and throws with its stderr when it fails.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, string? standardInput = null,
        CancellationToken cancellationToken = default)
    {
        var argList = args.ToList();
        var result = await RunAsync(file, argList, standardInput, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new IOException($"{file} {string.Join(' ', argList)} failed with exit code {result.ExitCode}: " +
                $"{result.StandardError.Trim()}{(standardInput is null ? "" : $" (input: {standardInput.Trim().Replace('\n', ';')})")}");
        }

        return result.StandardOutput;
    }
}
