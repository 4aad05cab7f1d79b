namespace Berth.E2E;

/// <summary>One berth serve process shared by a test class; tests use their own namespaces.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private BerthServeProcess? _server;
    private string? _cacheRoot;

    public BerthServeProcess Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        _server = await BerthServeProcess.StartAsync();
        _cacheRoot = Directory.CreateTempSubdirectory("berth-kubectl-cache-").FullName;
    }

    public Kubectl Kubectl(string version) => new(version, Server.Kubeconfig, Path.Combine(_cacheRoot!, version));

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_cacheRoot is not null)
        {
            Directory.Delete(_cacheRoot, recursive: true);
        }
    }
}
