using Berth.Controllers.Client;
using k8s;
using k8s.Models;

namespace Berth.Controllers.Tests.Fakes;

/// <summary>
/// What the scenario tests need from the API under the controllers: the client itself, the calls the controllers
/// made (recorded), and peeks at stored objects that are not recorded. Two implementations: the in-memory
/// <see cref="FakeApiClient"/> and ServerApiClient (Scenarios/) over a real in-process server.
/// </summary>
public interface ITestApi : IApiClient
{
    IReadOnlyList<FakeAction> Actions { get; }

    void ClearActions();

    List<T> All<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    T? Peek<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>;
}
