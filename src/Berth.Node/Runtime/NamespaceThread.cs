using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Berth.Node.Runtime;

/// <summary>
/// One dedicated, long-lived OS thread that runs work items, optionally after <c>setns</c> into a network
/// namespace, and returns to its original namespace afterwards.
/// Two reasons for a dedicated thread (runtime-probe.md §3 and §6): a socket created while the thread is in a
/// namespace stays in that namespace for its whole life (so the host reaches pods only through the hub), and a
/// child forked while the thread is in a pod's namespace starts inside it (no `ip netns exec` hop). bwrap's
/// <c>--die-with-parent</c> is tied to the forking <em>thread</em>, so spawning must happen on a thread that lives
/// as long as the runtime: thread-pool threads come and go.
/// </summary>
internal sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private SafeFileHandle? _home;

    public NamespaceThread(string name)
    {
        var started = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            _home = File.OpenHandle($"/proc/self/task/{LinuxNative.gettid()}/ns/net", FileMode.Open, FileAccess.Read);
            started.Set();
            foreach (var item in _work.GetConsumingEnumerable())
            {
                item();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        _thread.Start();
        started.Wait();
        started.Dispose();
    }

    /// <summary>Runs <paramref name="body"/> on the thread, inside <paramref name="netnsPath"/> when given.</summary>
    public Task<T> RunAsync<T>(string? netnsPath, Func<T> body) => RunAsync(netnsPath, body, restoreAlways: false);

    /// <summary>As above; <paramref name="restoreAlways"/> for bodies that move the thread themselves (unshare).</summary>
    public Task<T> RunAsync<T>(string? netnsPath, Func<T> body, bool restoreAlways)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            var moved = restoreAlways;
            try
            {
                if (netnsPath is not null)
                {
                    LinuxNative.SetNetworkNamespace(netnsPath);
                    moved = true;
                }

                tcs.SetResult(body());
            }
            catch (Exception e)
            {
                tcs.SetException(e);
            }
            finally
            {
                if (moved && LinuxNative.setns((int)_home!.DangerousGetHandle(), LinuxNative.CloneNewNet) != 0)
                {
                    // A thread stuck in a pod namespace would start every later child there: fail loudly.
                    Environment.FailFast("NamespaceThread could not return to its own network namespace");
                }
            }
        });
        return tcs.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        _home?.Dispose();
        _work.Dispose();
    }
}
