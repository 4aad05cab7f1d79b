using Berth.Controllers.Client;
using Berth.Controllers.Runtime;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Controllers.Endpoints;

/// <summary>
/// The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector, IPv4
/// EndpointSlices (generateName <c>&lt;service&gt;-</c>, owned by the Service, labelled
/// <c>kubernetes.io/service-name</c> and <c>endpointslice.kubernetes.io/managed-by</c>) listing every selected pod
/// that has an address, terminating ones included, with conditions ready/serving/terminating (ready is true for all
/// with publishNotReadyAddresses), hostname, nodeName and targetRef. Pods whose named targetPorts resolve to the same
/// numbers share slices of at most 100 endpoints; a Service selecting nothing keeps one empty placeholder slice.
/// Like upstream's endpointSliceTracker, a sync that finds its own earlier writes not yet in the cache waits for
/// them instead of acting on stale data (no duplicate slices).
/// </summary>
internal sealed class EndpointSliceController : IDisposable
{
    public const int MaxEndpointsPerSlice = 100;
    private const string ServiceIndex = "endpointslice-service";

    private readonly IApiClient _client;
    private readonly TimeProvider _time;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly WorkQueue _queue;
    private readonly int _workers;
    private readonly Lock _expectationsLock = new();
    private readonly Dictionary<string, Expectations> _expectations = new(StringComparer.Ordinal);

    public EndpointSliceController(InformerFactory informers, int workers = 5)
    {
        _client = informers.Client;
        _time = informers.Time;
        _workers = workers;
        _services = informers.For<V1Service>();
        _pods = informers.For<V1Pod>();
        _slices = informers.For<V1EndpointSlice>();
        _slices.AddIndexer(ServiceIndex, s => s.Metadata.Label(EndpointPods.ServiceNameLabel) is { } svc
            ? [s.Metadata.NamespaceProperty + "/" + svc]
            : []);
        _queue = new WorkQueue(_time);
        _services.AddHandler(new InformerHandler<V1Service>(Enqueue, (_, s) => Enqueue(s), Enqueue));
        _pods.AddHandler(new InformerHandler<V1Pod>(p => EnqueueFor(p, null), (o, p) => EnqueueFor(p, o), p => EnqueueFor(p, null)));
        _slices.AddHandler(new InformerHandler<V1EndpointSlice>(EnqueueOwner, (_, s) => EnqueueOwner(s), EnqueueOwner));
    }

    public Task RunAsync(CancellationToken cancellationToken) => _queue.RunWorkersAsync(_workers, SyncAsync, cancellationToken);

    public void Dispose() => _queue.Dispose();

    private void Enqueue(V1Service service) => _queue.Add(ObjectKeys.Of(service));

    private void EnqueueOwner(V1EndpointSlice slice)
    {
        if (slice.Metadata.Label(EndpointPods.ManagedByLabel) == EndpointPods.ControllerName
            && slice.Metadata.Label(EndpointPods.ServiceNameLabel) is { } svc)
        {
            _queue.Add(ObjectKeys.Of(slice.Metadata.NamespaceProperty, svc));
        }
    }

    private void EnqueueFor(V1Pod pod, V1Pod? old)
    {
        foreach (var s in EndpointPods.ServicesSelecting(_services.ListNamespace(pod.Metadata.NamespaceProperty), pod, old))
        {
            Enqueue(s);
        }
    }

    private List<V1EndpointSlice> ManagedSlices(string key) =>
        [.. _slices.ByIndex(ServiceIndex, key)
            .Where(s => s.Metadata.Label(EndpointPods.ManagedByLabel) == EndpointPods.ControllerName)
            .OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];

    private async Task SyncAsync(string key, CancellationToken ct)
    {
        if (!CacheHasOurWrites(key))
        {
            _queue.AddAfter(key, TimeSpan.FromMilliseconds(20));
            return;
        }

        var (ns, _) = ObjectKeys.Split(key);
        var service = _services.GetByKey(key);
        var existing = ManagedSlices(key);
        if (service is null || !EndpointPods.IsManaged(service) || service.Metadata.DeletionTimestamp is not null)
        {
            // The Service is gone or no longer selects pods: its slices go (the garbage collector would too, via the
            // ownerReference; doing it here keeps DNS and the proxy from serving a dead Service meanwhile).
            await DeleteSlicesAsync(key, existing, ct).ConfigureAwait(false);
            return;
        }

        var desired = Desired(service, _pods.ListNamespace(ns));
        var labels = SliceLabels(service);
        var expectations = new Expectations(_time.GetUtcNow());
        var unused = new List<V1EndpointSlice>(existing);
        // Reuse slices with the same port set first, then any left over (upstream reconciler: update in place before
        // creating new ones, so the placeholder becomes the first real slice).
        var matches = new V1EndpointSlice?[desired.Count];
        for (var i = 0; i < desired.Count; i++)
        {
            matches[i] = unused.FirstOrDefault(s => SamePorts(s.Ports, desired[i].Ports));
            unused.Remove(matches[i]!);
        }

        for (var i = 0; i < desired.Count; i++)
        {
            if (matches[i] is null && unused.Count > 0)
            {
                matches[i] = unused[0];
                unused.RemoveAt(0);
            }
        }

        for (var i = 0; i < desired.Count; i++)
        {
            var want = desired[i];
            var match = matches[i];
            if (match is not null)
            {
                if (SameContent(match, want, labels, service))
                {
                    continue;
                }

                var updated = ModelCopy.Clone(match);
                updated.Metadata.Labels = labels;
                updated.Metadata.OwnerReferences = [OwnerReference(service)];
                updated.Endpoints = want.Endpoints;
                updated.Ports = want.Ports;
                var written = await _client.UpdateAsync(updated, ct).ConfigureAwait(false);
                expectations.Written[written.Metadata.Name] = Revision(written);
                continue;
            }

            var created = await _client.CreateAsync(new V1EndpointSlice
            {
                ApiVersion = "discovery.k8s.io/v1",
                Kind = "EndpointSlice",
                Metadata = new V1ObjectMeta
                {
                    GenerateName = SlicePrefix(service.Metadata.Name),
                    NamespaceProperty = ns,
                    Labels = labels,
                    OwnerReferences = [OwnerReference(service)],
                },
                AddressType = "IPv4",
                Endpoints = want.Endpoints,
                Ports = want.Ports,
            }, ct).ConfigureAwait(false);
            expectations.Written[created.Metadata.Name] = Revision(created);
        }

        foreach (var stale in unused)
        {
            await DeleteSliceAsync(stale, ct).ConfigureAwait(false);
            expectations.Deleted.Add(stale.Metadata.Name);
        }

        if (expectations.Written.Count > 0 || expectations.Deleted.Count > 0)
        {
            lock (_expectationsLock)
            {
                _expectations[key] = expectations;
            }
        }
    }

    /// <summary>
    /// upstream endpointSliceTracker.StaleSlices: slices this controller wrote (or deleted) that the informer has not
    /// seen yet make the cache stale for that Service. After 10 s the expectation is dropped (a re-list fixes the rest).
    /// </summary>
    private bool CacheHasOurWrites(string key)
    {
        Expectations? expected;
        lock (_expectationsLock)
        {
            if (!_expectations.TryGetValue(key, out expected))
            {
                return true;
            }
        }

        var (ns, _) = ObjectKeys.Split(key);
        var satisfied = expected.Written.All(w => _slices.Get(ns, w.Key) is { } s && Revision(s) >= w.Value)
            && expected.Deleted.All(d => _slices.Get(ns, d) is null);
        if (satisfied || _time.GetUtcNow() - expected.Since > TimeSpan.FromSeconds(10))
        {
            lock (_expectationsLock)
            {
                if (_expectations.TryGetValue(key, out var now) && ReferenceEquals(now, expected))
                {
                    _expectations.Remove(key);
                }
            }

            return true;
        }

        return false;
    }

    private async Task DeleteSlicesAsync(string key, List<V1EndpointSlice> slices, CancellationToken ct)
    {
        if (slices.Count == 0)
        {
            return;
        }

        var expectations = new Expectations(_time.GetUtcNow());
        foreach (var s in slices)
        {
            await DeleteSliceAsync(s, ct).ConfigureAwait(false);
            expectations.Deleted.Add(s.Metadata.Name);
        }

        lock (_expectationsLock)
        {
            _expectations[key] = expectations;
        }
    }

    private async Task DeleteSliceAsync(V1EndpointSlice slice, CancellationToken ct)
    {
        try
        {
            await _client.DeleteAsync<V1EndpointSlice>(slice.Metadata.NamespaceProperty, slice.Metadata.Name, null, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    /// <summary>The slices the Service should have: endpoints grouped by resolved port set, 100 per slice.</summary>
    internal static List<DesiredSlice> Desired(V1Service service, IEnumerable<V1Pod> pods)
    {
        var publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        var groups = new SortedDictionary<string, (List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!EndpointPods.Selects(service, pod) || !EndpointPods.ShouldBeInEndpoints(pod, includeTerminating: true))
            {
                continue;
            }

            var ports = new List<Discoveryv1EndpointPort>();
            foreach (var sp in service.Spec?.Ports ?? [])
            {
                if (EndpointPods.FindPort(pod, sp) is { } number)
                {
                    ports.Add(new Discoveryv1EndpointPort
                    {
                        Name = sp.Name ?? "",
                        Port = number,
                        Protocol = sp.Protocol ?? "TCP",
                        AppProtocol = sp.AppProtocol,
                    });
                }
            }

            var groupKey = PortsKey(ports);
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = (ports, []);
                groups[groupKey] = group;
            }

            // upstream podToEndpoint: serving is readiness; ready is never true for a terminating pod unless
            // publishNotReadyAddresses asks for every address.
            var serving = EndpointPods.IsReady(pod);
            var terminating = pod.Metadata.DeletionTimestamp is not null;
            group.Endpoints.Add(new V1Endpoint
            {
                Addresses = [pod.Status!.PodIP],
                Conditions = new V1EndpointConditions
                {
                    Ready = publishNotReady || (serving && !terminating),
                    Serving = serving,
                    Terminating = terminating,
                },
                Hostname = EndpointPods.Hostname(pod, service),
                NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
                TargetRef = EndpointPods.PodReference(pod),
            });
        }

        var result = new List<DesiredSlice>();
        foreach (var (_, g) in groups)
        {
            g.Endpoints.Sort((a, b) => string.CompareOrdinal(a.Addresses[0], b.Addresses[0]));
            for (var i = 0; i < g.Endpoints.Count; i += MaxEndpointsPerSlice)
            {
                result.Add(new DesiredSlice(g.Ports, g.Endpoints.Skip(i).Take(MaxEndpointsPerSlice).ToList()));
            }
        }

        if (result.Count == 0)
        {
            // upstream keeps a placeholder slice, so consumers can tell "no endpoints" from "not reconciled yet".
            result.Add(new DesiredSlice([], []));
        }

        return result;
    }

    private static Dictionary<string, string> SliceLabels(V1Service service)
    {
        var labels = EndpointPods.Labels(service);
        labels[EndpointPods.ServiceNameLabel] = service.Metadata.Name;
        labels[EndpointPods.ManagedByLabel] = EndpointPods.ControllerName;
        return labels;
    }

    private static V1OwnerReference OwnerReference(V1Service service) => service.Metadata.NewControllerRef("v1", "Service");

    /// <summary>upstream getEndpointSlicePrefix: the Service name and a dash, cut so generated names stay valid.</summary>
    private static string SlicePrefix(string serviceName)
    {
        var prefix = serviceName + "-";
        return prefix.Length > 58 ? prefix[..58] : prefix;
    }

    private static string PortsKey(IEnumerable<Discoveryv1EndpointPort> ports) =>
        string.Join(";", ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}").Order(StringComparer.Ordinal));

    private static bool SamePorts(IList<Discoveryv1EndpointPort>? a, List<Discoveryv1EndpointPort> b) => PortsKey(a ?? []) == PortsKey(b);

    private static bool SameContent(V1EndpointSlice current, DesiredSlice want, Dictionary<string, string> labels, V1Service service) =>
        EndpointPods.SameLabels(current.Metadata.Labels, labels)
        && current.Metadata.OwnerReferences is [{ } owner] && owner.Uid == service.Metadata.Uid
        && SamePorts(current.Ports, want.Ports)
        && BerthJson.SerializeToUtf8Bytes(new V1EndpointSlice { Endpoints = current.Endpoints is { Count: > 0 } ? current.Endpoints : null })
            .AsSpan().SequenceEqual(BerthJson.SerializeToUtf8Bytes(new V1EndpointSlice { Endpoints = want.Endpoints.Count > 0 ? want.Endpoints : null }));

    private static long Revision(V1EndpointSlice slice) =>
        long.TryParse(slice.Metadata.ResourceVersion, out var rv) ? rv : 0;

    internal sealed record DesiredSlice(List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints);

    private sealed class Expectations(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;

        public Dictionary<string, long> Written { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Deleted { get; } = new(StringComparer.Ordinal);
    }
}
