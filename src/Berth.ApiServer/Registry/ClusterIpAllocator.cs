using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Berth.ApiServer.Admission;
using Berth.ApiServer.Http;
using Berth.Serialization;
using Berth.Storage;

namespace Berth.ApiServer.Registry;

/// <summary>
/// Service ClusterIP allocation from one IPv4 service CIDR (upstream's ipallocator behind the service REST storage).
/// The set of used addresses is not stored anywhere of its own: it is derived from the stored Services the first time
/// it is needed (so it survives a restart and cannot drift from a separate bitmap), and then kept in step by the
/// registry, which allocates while holding <see cref="LockAsync"/> around the store write and releases after every
/// Service delete. Like upstream, dynamic allocations pick a random free address from the upper part of the range,
/// keeping the lower "static" band (upstream ServiceIPStaticSubrange: min(max(16, size/16), 256) addresses) for
/// users who choose their own; the network and broadcast addresses are never handed out.
/// </summary>
internal sealed class ClusterIpAllocator
{
    public const string DefaultCidr = "10.96.0.0/16";
    private const string ServicesPrefix = "/registry/services/";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _setLock = new();
    private readonly uint _network;
    private readonly uint _size;
    private readonly uint _staticBand;
    private HashSet<uint>? _used;

    public ClusterIpAllocator(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr.AsSpan(slash + 1), out var prefix) || prefix is < 8 or > 30)
        {
            throw new ArgumentException($"service CIDR \"{cidr}\" must be an IPv4 CIDR with a prefix between /8 and /30", nameof(cidr));
        }

        _size = 1u << (32 - prefix);
        _network = ToUInt(address) & ~(_size - 1);
        Cidr = $"{FromUInt(_network)}/{prefix}";
        var usable = _size - 2;
        _staticBand = Math.Min(Math.Max(16u, usable / 16), 256u);
        if (_staticBand >= usable)
        {
            _staticBand = 0;
        }
    }

    public string Cidr { get; }

    /// <summary>
    /// Serialises allocate-then-store sequences, so two creates never pick the same free address. The first call
    /// derives the used set from the stored Services.
    /// </summary>
    public async Task<IDisposable> LockAsync(IStore store, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_used is null)
            {
                await ReloadAsync(store, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _gate.Release();
            throw;
        }

        return new Releaser(_gate);
    }

    /// <summary>
    /// Gives the Service in <paramref name="spec"/> its cluster IP (caller holds <see cref="LockAsync"/>): the requested
    /// spec.clusterIP when free and in range, else the next random free address. Returns the address now held, or
    /// null when the Service takes none (headless, ExternalName). <paramref name="dryRun"/> checks without holding.
    /// </summary>
    public async Task<string?> AllocateAsync(IStore store, string name, ServiceAddressing spec, bool dryRun, CancellationToken cancellationToken)
    {
        if (spec.Type == "ExternalName" || spec.ClusterIp == "None")
        {
            return null;
        }

        if (!string.IsNullOrEmpty(spec.ClusterIp))
        {
            var requested = spec.ClusterIp;
            if (!TryOffset(requested, out var offset))
            {
                throw AllocationInvalid(name, spec, $"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. "
                    + $"The range of valid IPs is {Cidr}");
            }

            if (IsUsed(offset))
            {
                // The used set may hold an address a concurrent delete released before we loaded: ask the store.
                await ReloadAsync(store, cancellationToken).ConfigureAwait(false);
                if (IsUsed(offset))
                {
                    throw AllocationInvalid(name, spec, $"failed to allocate IP {requested}: provided IP is already allocated");
                }
            }

            if (!dryRun)
            {
                Hold(offset);
            }

            return requested;
        }

        var next = PickFree() ?? await ReloadThenPickAsync(store, cancellationToken).ConfigureAwait(false)
            ?? throw new ApiException(Status.Failure(500, "InternalError",
                "Internal error occurred: failed to allocate a serviceIP: range is full",
                new StatusDetails { Causes = [new StatusCause(null, "failed to allocate a serviceIP: range is full", null)] }));
        if (!dryRun)
        {
            Hold(next);
        }

        return FromUInt(_network + next).ToString();
    }

    /// <summary>Frees the cluster IPs of a Service that is gone (any caller, no lock needed).</summary>
    public void Release(IEnumerable<string> addresses)
    {
        lock (_setLock)
        {
            foreach (var a in addresses)
            {
                if (_used is not null && TryOffset(a, out var offset))
                {
                    _used.Remove(offset);
                }
            }
        }
    }

    /// <summary>The cluster IPs a stored Service holds ("None" and empty excluded).</summary>
    public static List<string> ClusterIps(ReadOnlySpan<byte> json)
    {
        var result = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.TryGetProperty("spec", out var spec) && spec.ValueKind == JsonValueKind.Object)
            {
                if (spec.TryGetProperty("clusterIPs", out var ips) && ips.ValueKind == JsonValueKind.Array)
                {
                    result.AddRange(ips.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!));
                }
                else if (spec.TryGetProperty("clusterIP", out var ip) && ip.ValueKind == JsonValueKind.String)
                {
                    result.Add(ip.GetString()!);
                }
            }
        }
        catch (JsonException)
        {
            // Not a Service we can read: it holds nothing.
        }

        result.RemoveAll(a => a.Length == 0 || a == "None");
        return result;
    }

    private static ApiException AllocationInvalid(string name, ServiceAddressing spec, string message) =>
        new(InvalidStatus.Create("Service", "", name,
            [FieldError.Invalid("spec.clusterIPs", spec.ClusterIps.Count > 0 ? spec.ClusterIps : [spec.ClusterIp ?? ""], message)]));

    private async Task<uint?> ReloadThenPickAsync(IStore store, CancellationToken cancellationToken)
    {
        await ReloadAsync(store, cancellationToken).ConfigureAwait(false);
        return PickFree();
    }

    private async Task ReloadAsync(IStore store, CancellationToken cancellationToken)
    {
        var list = await store.ListAsync(ServicesPrefix, ListOptions.Default, cancellationToken).ConfigureAwait(false);
        var used = new HashSet<uint>();
        foreach (var item in list.Items)
        {
            foreach (var ip in ClusterIps(item.Value.Span))
            {
                if (TryOffset(ip, out var offset))
                {
                    used.Add(offset);
                }
            }
        }

        lock (_setLock)
        {
            _used = used;
        }
    }

    private bool IsUsed(uint offset)
    {
        lock (_setLock)
        {
            return _used!.Contains(offset);
        }
    }

    private void Hold(uint offset)
    {
        lock (_setLock)
        {
            _used!.Add(offset);
        }
    }

    private uint? PickFree()
    {
        lock (_setLock)
        {
            var usable = _size - 2;
            if (_used!.Count >= usable)
            {
                return null;
            }

            // Upper band first, from a random start, then the static band (upstream allocates dynamically from the
            // static band only once the rest is full).
            var upper = usable - _staticBand;
            if (upper > 0)
            {
                var start = (uint)Random.Shared.NextInt64(upper);
                for (uint i = 0; i < upper; i++)
                {
                    var offset = 1 + _staticBand + ((start + i) % upper);
                    if (!_used.Contains(offset))
                    {
                        return offset;
                    }
                }
            }

            for (uint offset = 1; offset <= _staticBand; offset++)
            {
                if (!_used.Contains(offset))
                {
                    return offset;
                }
            }

            return null;
        }
    }

    private bool TryOffset(string ip, out uint offset)
    {
        offset = 0;
        if (!IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var value = ToUInt(address);
        if ((value & ~(_size - 1)) != _network)
        {
            return false;
        }

        offset = value - _network;
        return offset >= 1 && offset < _size - 1;
    }

    private static uint ToUInt(IPAddress a)
    {
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
