using Berth.Node.Runtime;

[assembly: AssemblyFixture(typeof(Berth.Node.Tests.RuntimeFixture))]

namespace Berth.Node.Tests;

/// <summary>
/// One sandbox runtime (one hub namespace) for the whole assembly, in a temp state directory; disposed at the
/// end, which removes every pod, namespace, mount and cgroup the tests left.
/// </summary>
public sealed class RuntimeFixture : IAsyncLifetime
{
    private SandboxRuntime? _runtime;

    public string StateDirectory { get; } = Path.Combine(Path.GetTempPath(), $"berth-node-tests-{Guid.NewGuid():N}");

    internal SandboxRuntime Runtime => _runtime ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        _runtime = await SandboxRuntime.CreateAsync(new SandboxRuntimeOptions { StateDirectory = StateDirectory });
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }

        if (Directory.Exists(StateDirectory))
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
