using System.Net;
using Berth.Node.Runtime;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Berth.Node.Tests.Runtime;

public sealed class PodIpamTests
{
    [Property(MaxTest = 200)]
    public Property Allocated_addresses_are_unique_inside_the_cidr_and_never_reserved(PositiveInt count, int seed)
    {
        var ipam = new PodIpam("10.88.0.0/26");
        var n = Math.Min(count.Get, (int)ipam.Capacity);
        var random = new Random(seed);
        var held = new List<IPAddress>();
        var ok = true;
        for (var i = 0; i < n * 2; i++)
        {
            // Interleave releases so reuse paths are exercised too.
            if (held.Count > 0 && random.Next(3) == 0)
            {
                var k = random.Next(held.Count);
                ipam.Release(held[k]);
                held.RemoveAt(k);
                continue;
            }

            if (held.Count == ipam.Capacity)
            {
                break;
            }

            var a = ipam.Allocate();
            ok &= ipam.Contains(a) && !held.Contains(a) && !a.Equals(ipam.Gateway) && !a.Equals(ipam.ClusterDns)
                && a.GetAddressBytes()[3] is not 0 and not 63;
            held.Add(a);
        }

        return ok.ToProperty();
    }

    [Fact]
    public void A_full_cidr_is_an_error_naming_it()
    {
        var ipam = new PodIpam("10.1.2.0/29");
        Assert.Equal(4, ipam.Capacity);
        for (var i = 0; i < 4; i++)
        {
            ipam.Allocate();
        }

        var e = Assert.Throws<InvalidOperationException>(ipam.Allocate);
        Assert.Contains("10.1.2.0/29", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_released_address_is_not_reused_at_once()
    {
        var ipam = new PodIpam("10.88.0.0/16");
        var first = ipam.Allocate();
        ipam.Release(first);
        Assert.NotEqual(first, ipam.Allocate());
        Assert.Equal(IPAddress.Parse("10.88.0.1"), ipam.Gateway);
        Assert.Equal(IPAddress.Parse("10.88.0.2"), ipam.ClusterDns);
    }

    [Theory]
    [InlineData("10.88.0.0")]
    [InlineData("fd00::/64")]
    [InlineData("10.88.0.0/31")]
    public void A_bad_cidr_is_refused(string cidr) => Assert.Throws<ArgumentException>(() => new PodIpam(cidr));
}
