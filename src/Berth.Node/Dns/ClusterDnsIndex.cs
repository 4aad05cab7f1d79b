using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Berth.Node.Dns;

/// <summary>
/// The cluster's DNS records, kept in memory and changed on every watch event (so a pod's readiness shows in DNS as
/// soon as its EndpointSlice changes, where upstream's CoreDNS can lag 30 s and more: kubernetes issue 92559).
/// Names follow the Kubernetes DNS specification as CoreDNS serves it:
/// <list type="bullet">
/// <item><c>&lt;svc&gt;.&lt;ns&gt;.svc.ZONE</c>: A with the cluster IP, or for a headless Service the address of every
/// ready endpoint (ready includes not-ready pods when publishNotReadyAddresses); CNAME for ExternalName.</item>
/// <item><c>&lt;hostname&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.ZONE</c>: A for each headless endpoint with a hostname (a StatefulSet pod);
/// endpoints without one get <c>&lt;a-b-c-d&gt;.&lt;svc&gt;...</c>.</item>
/// <item><c>_&lt;port&gt;._&lt;proto&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.ZONE</c>: SRV for named ports (the Service name and port, or one per
/// ready endpoint for a headless Service).</item>
/// <item>PTR for cluster IPs (the Service name) and pod IPs (the pod's hostname.subdomain name, else
/// <c>&lt;a-b-c-d&gt;.&lt;ns&gt;.pod.ZONE</c>, which also has an A record).</item>
/// </list>
/// The index keeps its own copy of Services and slices (it never calls into an informer from a handler, so informer
/// locks are never nested); records are grouped by owner (a Service or a pod) and merged per name. Readers never lock.
/// </summary>
internal sealed class ClusterDnsIndex
{
    public const uint Ttl = 5;

    private readonly Lock _write = new();
    private readonly Dictionary<string, V1Service> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, V1EndpointSlice>> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, List<DnsRecord>>> _byOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _ownersOfName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DnsRecord[]> _byName = new(StringComparer.Ordinal);
    private long _version;

    public ClusterDnsIndex(string zone = "cluster.local")
    {
        Zone = zone.Trim('.').ToLowerInvariant();
        Soa = DnsRecord.Soa(Zone, 1, Ttl);
    }

    public string Zone { get; }

    /// <summary>The zone's SOA record (the authority section of negative answers).</summary>
    public DnsRecord Soa { get; private set; }

    /// <summary>How many changes the index has taken (tests and benchmarks wait on it).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Every record of a name (lower case, no trailing dot), or null when the name does not exist.</summary>
    public DnsRecord[]? Lookup(string name) => _byName.TryGetValue(name, out var records) ? records : null;

    public void UpsertService(V1Service service)
    {
        lock (_write)
        {
            var key = Key(service.Metadata);
            _services[key] = service;
            RebuildService(key);
        }
    }

    public void DeleteService(V1Service service)
    {
        lock (_write)
        {
            var key = Key(service.Metadata);
            _services.Remove(key);
            RebuildService(key);
        }
    }

    public void UpsertSlice(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is not { } key)
        {
            return;
        }

        lock (_write)
        {
            if (!_slices.TryGetValue(key, out var slices))
            {
                slices = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
                _slices[key] = slices;
            }

            slices[slice.Metadata.Name] = slice;
            RebuildService(key);
        }
    }

    public void DeleteSlice(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is not { } key)
        {
            return;
        }

        lock (_write)
        {
            if (_slices.TryGetValue(key, out var slices) && slices.Remove(slice.Metadata.Name) && slices.Count == 0)
            {
                _slices.Remove(key);
            }

            RebuildService(key);
        }
    }

    public void UpsertPod(V1Pod pod)
    {
        lock (_write)
        {
            SetOwner("pod/" + Key(pod.Metadata), PodRecords(pod));
        }
    }

    public void DeletePod(V1Pod pod)
    {
        lock (_write)
        {
            SetOwner("pod/" + Key(pod.Metadata), []);
        }
    }

    private static string Key(V1ObjectMeta meta) => meta.NamespaceProperty + "/" + meta.Name;

    private static string? ServiceKey(V1EndpointSlice slice) =>
        slice.Metadata.Labels is { } labels && labels.TryGetValue("kubernetes.io/service-name", out var service) && service.Length > 0
            ? slice.Metadata.NamespaceProperty + "/" + service
            : null;

    private void RebuildService(string key)
    {
        var records = _services.TryGetValue(key, out var service)
            ? ServiceRecords(service, _slices.TryGetValue(key, out var slices) ? slices.Values : [])
            : [];
        SetOwner("svc/" + key, records);
    }

    private List<DnsRecord> ServiceRecords(V1Service service, IEnumerable<V1EndpointSlice> slices)
    {
        var records = new List<DnsRecord>();
        var ns = service.Metadata.NamespaceProperty;
        var name = $"{service.Metadata.Name}.{ns}.svc.{Zone}";
        var spec = service.Spec ?? new V1ServiceSpec();
        if (spec.Type == "ExternalName")
        {
            if (!string.IsNullOrEmpty(spec.ExternalName))
            {
                records.Add(DnsRecord.Cname(name, spec.ExternalName.TrimEnd('.').ToLowerInvariant(), Ttl));
            }

            return records;
        }

        if (spec.ClusterIP != "None")
        {
            if (IPAddress.TryParse(spec.ClusterIP, out var clusterIp) && clusterIp.AddressFamily == AddressFamily.InterNetwork)
            {
                records.Add(DnsRecord.A(name, clusterIp, Ttl));
                records.Add(DnsRecord.Ptr(DnsName.ReverseName(clusterIp), name, Ttl));
                foreach (var port in spec.Ports ?? [])
                {
                    if (!string.IsNullOrEmpty(port.Name))
                    {
                        records.Add(DnsRecord.Srv($"_{port.Name}._{(port.Protocol ?? "TCP").ToLowerInvariant()}.{name}", 0, 100,
                            (ushort)port.Port, name, Ttl));
                    }
                }
            }

            return records;
        }

        // Headless: every ready endpoint address (the slice controller marks all ready with publishNotReadyAddresses).
        var endpoints = new List<(string Address, string Host, IList<Discoveryv1EndpointPort> Ports)>();
        foreach (var slice in slices)
        {
            if (slice.AddressType is not (null or "IPv4"))
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // EndpointConditions.ready: "nil should be interpreted as ready".
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                    {
                        continue;
                    }

                    var host = !string.IsNullOrEmpty(endpoint.Hostname) ? endpoint.Hostname.ToLowerInvariant() : DnsName.Dashed(address);
                    endpoints.Add((address, host, slice.Ports ?? []));
                }
            }
        }

        endpoints.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address));
        var srvByName = new Dictionary<string, List<(string Target, int Port)>>(StringComparer.Ordinal);
        foreach (var (address, host, ports) in endpoints)
        {
            var ip = IPAddress.Parse(address);
            var hostName = $"{host}.{name}";
            records.Add(DnsRecord.A(name, ip, Ttl));
            records.Add(DnsRecord.A(hostName, ip, Ttl));
            foreach (var port in ports)
            {
                if (!string.IsNullOrEmpty(port.Name) && port.Port is { } number)
                {
                    var srv = $"_{port.Name}._{(port.Protocol ?? "TCP").ToLowerInvariant()}.{name}";
                    if (!srvByName.TryGetValue(srv, out var targets))
                    {
                        targets = [];
                        srvByName[srv] = targets;
                    }

                    targets.Add((hostName, number));
                }
            }
        }

        foreach (var (srv, targets) in srvByName)
        {
            // CoreDNS spreads a weight of 100 over the targets of one name.
            var weight = (ushort)Math.Max(1, 100 / targets.Count);
            foreach (var (target, port) in targets)
            {
                records.Add(DnsRecord.Srv(srv, 0, weight, (ushort)port, target, Ttl));
            }
        }

        return records;
    }

    private List<DnsRecord> PodRecords(V1Pod pod)
    {
        var ipText = pod.Status?.PodIP;
        if (string.IsNullOrEmpty(ipText) || !IPAddress.TryParse(ipText, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return [];
        }

        var ns = pod.Metadata.NamespaceProperty;
        var podName = $"{DnsName.Dashed(ipText)}.{ns}.pod.{Zone}";
        var spec = pod.Spec;
        var ptrTarget = !string.IsNullOrEmpty(spec?.Hostname) && !string.IsNullOrEmpty(spec.Subdomain)
            ? $"{spec.Hostname}.{spec.Subdomain}.{ns}.svc.{Zone}".ToLowerInvariant()
            : podName;
        return [DnsRecord.A(podName, ip, Ttl), DnsRecord.Ptr(DnsName.ReverseName(ip), ptrTarget, Ttl)];
    }

    /// <summary>Replaces what one owner contributes and re-merges every name it touched (caller holds the write lock).</summary>
    private void SetOwner(string owner, List<DnsRecord> records)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        if (_byOwner.Remove(owner, out var old))
        {
            foreach (var name in old.Keys)
            {
                touched.Add(name);
                if (_ownersOfName.TryGetValue(name, out var owners))
                {
                    owners.Remove(owner);
                    if (owners.Count == 0)
                    {
                        _ownersOfName.Remove(name);
                    }
                }
            }
        }

        if (records.Count > 0)
        {
            var grouped = new Dictionary<string, List<DnsRecord>>(StringComparer.Ordinal);
            foreach (var r in records)
            {
                if (!grouped.TryGetValue(r.Name, out var list))
                {
                    list = [];
                    grouped[r.Name] = list;
                }

                list.Add(r);
            }

            _byOwner[owner] = grouped;
            foreach (var name in grouped.Keys)
            {
                touched.Add(name);
                if (!_ownersOfName.TryGetValue(name, out var owners))
                {
                    owners = new HashSet<string>(StringComparer.Ordinal);
                    _ownersOfName[name] = owners;
                }

                owners.Add(owner);
            }
        }

        foreach (var name in touched)
        {
            if (!_ownersOfName.TryGetValue(name, out var owners))
            {
                _byName.TryRemove(name, out _);
                continue;
            }

            if (owners.Count == 1)
            {
                _byName[name] = [.. _byOwner[owners.First()][name]];
                continue;
            }

            // Two owners may say the same thing (a recycled pod IP): answer it once.
            var merged = new List<DnsRecord>();
            foreach (var o in owners.Order(StringComparer.Ordinal))
            {
                foreach (var r in _byOwner[o][name])
                {
                    if (!merged.Exists(m => m.Type == r.Type && m.Data.AsSpan().SequenceEqual(r.Data)))
                    {
                        merged.Add(r);
                    }
                }
            }

            _byName[name] = [.. merged];
        }

        var version = Interlocked.Increment(ref _version);
        Soa = DnsRecord.Soa(Zone, (uint)(version % uint.MaxValue), Ttl);
    }
}
