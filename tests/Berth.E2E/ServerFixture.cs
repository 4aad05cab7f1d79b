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

    /// <summary>
    /// kubectl VERSION started through a link named plain <c>kubectl</c>, as users have it: its User-Agent, and so the
    /// field manager of its writes without --field-manager, is then "kubectl" rather than "kubectl.1.33".
    /// </summary>
    public Kubectl PlainKubectl(string version)
    {
        var dir = Path.Combine(_cacheRoot!, "bin-" + version);
        var link = Path.Combine(dir, "kubectl");
        if (!File.Exists(link))
        {
            Directory.CreateDirectory(dir);
            File.CreateSymbolicLink(link, E2E.Kubectl.Binary(version));
        }

        return new(version, Server.Kubeconfig, Path.Combine(_cacheRoot!, "plain-" + version), link);
    }

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
