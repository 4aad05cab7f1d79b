namespace Berth.E2E;

/// <summary>
/// One <c>berth serve --runtime sandbox</c> (real pods: network namespaces, overlay roots, bwrap) shared by a test
/// class; stopped with SIGTERM so it tears its pods down itself. Needs root and the packages scripts/test installs.
/// </summary>
public sealed class SandboxServerFixture : IAsyncLifetime
{
    private BerthServeProcess? _server;
    private string? _cacheRoot;

    public BerthServeProcess Server => _server ?? throw new InvalidOperationException("not started");

    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    public async ValueTask InitializeAsync()
    {
        _cacheRoot = Directory.CreateTempSubdirectory("berth-kubectl-cache-").FullName;
        if (IsRoot)
        {
            _server = await BerthServeProcess.StartAsync(runtime: "sandbox");
        }
    }

    public Kubectl Kubectl(string version = "1.33") => new(version, Server.Kubeconfig, Path.Combine(_cacheRoot!, version));

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            try
            {
                await _server.StopAsync(TimeSpan.FromSeconds(60));
            }
            catch (OperationCanceledException)
            {
            }

            await _server.DisposeAsync();
        }

        if (_cacheRoot is not null)
        {
            Directory.Delete(_cacheRoot, recursive: true);
        }
    }
}
