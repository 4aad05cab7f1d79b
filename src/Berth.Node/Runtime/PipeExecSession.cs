using System.Diagnostics;

namespace Berth.Node.Runtime;

/// <summary>A non-TTY exec: the command's stdin, stdout and stderr are pipes.</summary>
internal sealed class PipeExecSession : IExecSession
{
    private readonly Process _process;

    public PipeExecSession(Process process, bool stdin)
    {
        _process = process;
        Stdout = process.StandardOutput.BaseStream;
        Stderr = process.StandardError.BaseStream;
        if (stdin)
        {
            Stdin = process.StandardInput.BaseStream;
        }
        else
        {
            // No stdin asked for: the command reads EOF, as with a container runtime's /dev/null.
            process.StandardInput.Close();
        }

        Exited = WaitAsync();
    }

    public Stream? Stdin { get; }

    public Stream Stdout { get; }

    public Stream? Stderr { get; }

    public Task<int> Exited { get; }

    private async Task<int> WaitAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public void Resize(ushort columns, ushort rows)
    {
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                ProcessTree.Kill(_process.Id);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await Exited.ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
