using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Controllers.Endpoints;

/// <summary>
/// The Endpoints controller (pkg/controller/endpoint): for every Service with a selector, an Endpoints object of the
/// same name listing the selected pods' addresses, ready ones under <c>addresses</c> and the rest under
/// <c>notReadyAddresses</c> (all under <c>addresses</c>, terminating ones included, with publishNotReadyAddresses),
/// each with nodeName, targetRef and hostname (when the pod's subdomain is the Service), grouped into subsets by
/// their resolved ports (a named targetPort resolves per pod). A Service selecting nothing gets an Endpoints with no
/// subsets; its Endpoints go when it goes. Writes happen only when subsets or labels changed.
/// </summary>
internal sealed class EndpointsController : IDisposable
{
    private readonly IApiClient _client;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Endpoints> _endpoints;
    private readonly WorkQueue _queue;
    private readonly int _workers;

    public EndpointsController(InformerFactory informers, int workers = 5)
    {
        _client = informers.Client;
        _workers = workers;
        _services = informers.For<V1Service>();
        _pods = informers.For<V1Pod>();
        _endpoints = informers.For<V1Endpoints>();
        _queue = new WorkQueue(informers.Time);
        _services.AddHandler(new InformerHandler<V1Service>(Enqueue, (_, s) => Enqueue(s), Enqueue));
        _pods.AddHandler(new InformerHandler<V1Pod>(p => EnqueueFor(p, null), (o, p) => EnqueueFor(p, o), p => EnqueueFor(p, null)));
        _endpoints.AddHandler(new InformerHandler<V1Endpoints>(null, null, e => _queue.Add(ObjectKeys.Of(e))));
    }

    public Task RunAsync(CancellationToken cancellationToken) => _queue.RunWorkersAsync(_workers, SyncAsync, cancellationToken);

    public void Dispose() => _queue.Dispose();

    private void Enqueue(V1Service service) => _queue.Add(ObjectKeys.Of(service));

    private void EnqueueFor(V1Pod pod, V1Pod? old)
    {
        foreach (var s in EndpointPods.ServicesSelecting(_services.ListNamespace(pod.Metadata.NamespaceProperty), pod, old))
        {
            Enqueue(s);
        }
    }

    private async Task SyncAsync(string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        var service = _services.GetByKey(key);
        if (service is null)
        {
            // The Service is gone: so are its Endpoints (upstream deletes them, ignoring NotFound).
            if (_endpoints.GetByKey(key) is not null)
            {
                try
                {
                    await _client.DeleteAsync<V1Endpoints>(ns, name, null, ct).ConfigureAwait(false);
                }
                catch (ApiException e) when (e.IsNotFound)
                {
                }
            }

            return;
        }

        if (!EndpointPods.IsManaged(service))
        {
            return;
        }

        var subsets = BuildSubsets(service, _pods.ListNamespace(ns));
        var labels = EndpointPods.Labels(service);
        var current = _endpoints.GetByKey(key);
        if (current is not null && SameSubsets(current.Subsets, subsets) && EndpointPods.SameLabels(current.Metadata.Labels, labels))
        {
            return;
        }

        if (current is null)
        {
            try
            {
                await _client.CreateAsync(new V1Endpoints
                {
                    ApiVersion = "v1",
                    Kind = "Endpoints",
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
                    Subsets = subsets,
                }, ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsAlreadyExists)
            {
                // Our cache was behind: sync again once it has caught up.
                throw new InvalidOperationException($"endpoints {key} exist but are not in the cache yet", e);
            }

            return;
        }

        var updated = ModelCopy.Clone(current);
        updated.Metadata.Labels = labels;
        updated.Subsets = subsets;
        // The resourceVersion stays: a concurrent writer makes this a Conflict and the key is retried.
        await _client.UpdateAsync(updated, ct).ConfigureAwait(false);
    }

    /// <summary>upstream syncService's per-pod loop followed by RepackSubsets.</summary>
    internal static List<V1EndpointSubset> BuildSubsets(V1Service service, IEnumerable<V1Pod> pods)
    {
        var tolerateUnready = service.Spec?.PublishNotReadyAddresses == true;
        var servicePorts = service.Spec?.Ports ?? [];
        var groups = new SortedDictionary<string, (List<Corev1EndpointPort> Ports, List<V1EndpointAddress> Ready, List<V1EndpointAddress> NotReady)>(
            StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!EndpointPods.Selects(service, pod) || !EndpointPods.ShouldBeInEndpoints(pod, tolerateUnready))
            {
                continue;
            }

            var ports = new List<Corev1EndpointPort>();
            if (servicePorts.Count == 0)
            {
                // A headless Service may have no ports; any other portless Service gets no endpoints.
                if (service.Spec?.ClusterIP != "None")
                {
                    continue;
                }
            }
            else
            {
                foreach (var sp in servicePorts)
                {
                    if (EndpointPods.FindPort(pod, sp) is { } number)
                    {
                        ports.Add(new Corev1EndpointPort
                        {
                            Name = string.IsNullOrEmpty(sp.Name) ? null : sp.Name,
                            Port = number,
                            Protocol = sp.Protocol ?? "TCP",
                            AppProtocol = sp.AppProtocol,
                        });
                    }
                }

                if (ports.Count == 0)
                {
                    continue;
                }
            }

            ports.Sort((a, b) => string.CompareOrdinal(PortKey(a), PortKey(b)));
            var groupKey = string.Join(";", ports.Select(PortKey));
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = (ports, [], []);
                groups[groupKey] = group;
            }

            var address = new V1EndpointAddress
            {
                Ip = pod.Status!.PodIP,
                NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
                Hostname = EndpointPods.Hostname(pod, service),
                TargetRef = EndpointPods.PodReference(pod),
            };
            (tolerateUnready || EndpointPods.IsReady(pod) ? group.Ready : group.NotReady).Add(address);
        }

        var subsets = new List<V1EndpointSubset>();
        foreach (var (_, g) in groups)
        {
            g.Ready.Sort(CompareAddress);
            g.NotReady.Sort(CompareAddress);
            subsets.Add(new V1EndpointSubset
            {
                Addresses = g.Ready.Count > 0 ? g.Ready : null,
                NotReadyAddresses = g.NotReady.Count > 0 ? g.NotReady : null,
                Ports = g.Ports.Count > 0 ? g.Ports : null,
            });
        }

        return subsets;
    }

    private static string PortKey(Corev1EndpointPort p) => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}";

    private static int CompareAddress(V1EndpointAddress a, V1EndpointAddress b)
    {
        var byIp = string.CompareOrdinal(a.Ip, b.Ip);
        return byIp != 0 ? byIp : string.CompareOrdinal(a.TargetRef?.Uid, b.TargetRef?.Uid);
    }

    // Compared through a whole Endpoints: the serializer's generated metadata covers the resource types, not bare lists.
    private static bool SameSubsets(IList<V1EndpointSubset>? current, List<V1EndpointSubset> desired) =>
        BerthJson.SerializeToUtf8Bytes(new V1Endpoints { Subsets = current is { Count: > 0 } ? current : null }).AsSpan()
            .SequenceEqual(BerthJson.SerializeToUtf8Bytes(new V1Endpoints { Subsets = desired.Count > 0 ? desired : null }));
}
