using Berth.Node.Dns;
using k8s.Models;
using static Berth.Node.Tests.Dns.DnsModels;
using static Berth.Node.Tests.Dns.TestDns;

namespace Berth.Node.Tests.Dns;

/// <summary>The records the index builds, asked through the handler as a client would.</summary>
public sealed class DnsIndexTests
{
    private readonly ClusterDnsIndex _index = new();

    private Response Ask(string name, ushort type, bool udp = true, bool edns = false)
    {
        var response = new byte[65535];
        var answer = new ClusterDnsHandler(_index).Answer(Query(name, type, edns: edns), response, udp);
        Assert.Null(answer.Forward);
        return Parse(response[..answer.Length]);
    }

    [Fact]
    public void A_ClusterIP_service_answers_its_address_srv_for_named_ports_and_ptr()
    {
        _index.UpsertService(Service("db", "10.96.0.10", ports:
            [new V1ServicePort { Name = "pg", Port = 5432, Protocol = "TCP" }, new V1ServicePort { Port = 9187, Protocol = "TCP" }]));

        var a = Ask("db.default.svc.cluster.local", A);
        var srv = Ask("_pg._tcp.db.default.svc.cluster.local", Srv);
        var ptr = Ask("10.0.96.10.in-addr.arpa", Ptr);

        Assert.Equal((0, true), (a.Rcode, a.Authoritative));
        Assert.Equal(["10.96.0.10"], a.Addresses);
        Assert.Equal(5u, a.Answers[0].Ttl);
        Assert.Equal("0 100 5432 db.default.svc.cluster.local", Assert.Single(srv.Answers).Data);
        Assert.Equal("10.96.0.10", Assert.Single(srv.Additional).Data);
        Assert.Equal("db.default.svc.cluster.local", Assert.Single(ptr.Answers).Data);
    }

    [Fact]
    public void A_headless_service_answers_every_ready_endpoint_and_each_hostname()
    {
        _index.UpsertService(Service("nginx", "None"));
        _index.UpsertSlice(Slice("nginx", "nginx-abc",
            Endpoint("10.88.0.3", "web-0"), Endpoint("10.88.0.4", "web-1"), Endpoint("10.88.0.5", "web-2", ready: false),
            Endpoint("10.88.0.6", ready: null)));

        var all = Ask("nginx.default.svc.cluster.local", A);
        var web1 = Ask("web-1.nginx.default.svc.cluster.local", A);
        var notReady = Ask("web-2.nginx.default.svc.cluster.local", A);
        var noHostname = Ask("10-88-0-6.nginx.default.svc.cluster.local", A);
        var srv = Ask("_web._tcp.nginx.default.svc.cluster.local", Srv);

        Assert.Equal(["10.88.0.3", "10.88.0.4", "10.88.0.6"], all.Addresses);
        Assert.Equal(["10.88.0.4"], web1.Addresses);
        Assert.Equal(3, notReady.Rcode);
        Assert.Equal(["10.88.0.6"], noHostname.Addresses);
        Assert.Equal(["0 33 8080 10-88-0-6.nginx.default.svc.cluster.local", "0 33 8080 web-0.nginx.default.svc.cluster.local",
            "0 33 8080 web-1.nginx.default.svc.cluster.local"], srv.Answers.Select(r => r.Data).Order(StringComparer.Ordinal));
        Assert.Equal(3, srv.Additional.Count);
    }

    [Fact]
    public void Readiness_changes_and_deletions_show_at_once()
    {
        _index.UpsertService(Service("nginx", "None"));
        _index.UpsertSlice(Slice("nginx", "s1", Endpoint("10.88.0.3", "web-0", ready: false)));
        var before = Ask("web-0.nginx.default.svc.cluster.local", A);

        _index.UpsertSlice(Slice("nginx", "s1", Endpoint("10.88.0.3", "web-0")));
        var ready = Ask("web-0.nginx.default.svc.cluster.local", A);
        _index.DeleteSlice(Slice("nginx", "s1"));
        var sliceGone = Ask("nginx.default.svc.cluster.local", A);
        _index.UpsertSlice(Slice("nginx", "s2", Endpoint("10.88.0.9", "web-0")));
        _index.DeleteService(Service("nginx", "None"));
        var serviceGone = Ask("web-0.nginx.default.svc.cluster.local", A);

        Assert.Equal(3, before.Rcode);
        Assert.Equal(["10.88.0.3"], ready.Addresses);
        Assert.Equal(3, sliceGone.Rcode);
        Assert.Equal(3, serviceGone.Rcode);
    }

    [Fact]
    public void Pods_get_ptr_records_for_their_stable_name_and_a_dashed_address_name()
    {
        _index.UpsertPod(Pod("web-0", "10.88.0.3", "web-0", "nginx"));
        _index.UpsertPod(Pod("debug", "10.88.0.7"));

        Assert.Equal("web-0.nginx.default.svc.cluster.local", Assert.Single(Ask("3.0.88.10.in-addr.arpa", Ptr).Answers).Data);
        Assert.Equal("10-88-0-7.default.pod.cluster.local", Assert.Single(Ask("7.0.88.10.in-addr.arpa", Ptr).Answers).Data);
        Assert.Equal(["10.88.0.7"], Ask("10-88-0-7.default.pod.cluster.local", A).Addresses);

        _index.DeletePod(Pod("debug", "10.88.0.7"));
        Assert.Equal(3, Ask("10-88-0-7.default.pod.cluster.local", A).Rcode);
    }

    [Fact]
    public void Unknown_cluster_names_are_NXDOMAIN_and_known_ones_without_the_type_NODATA_both_with_the_SOA()
    {
        _index.UpsertService(Service("db", "10.96.0.10"));

        var missing = Ask("nope.default.svc.cluster.local", A);
        var noData = Ask("db.default.svc.cluster.local", Aaaa);
        var apex = Ask("cluster.local", Soa);

        Assert.Equal((3, true), (missing.Rcode, missing.Authoritative));
        Assert.Equal(Soa, Assert.Single(missing.Authority).Type);
        Assert.Equal("cluster.local", missing.Authority[0].Name);
        Assert.Equal((0, 0), (noData.Rcode, noData.Answers.Count));
        Assert.Equal(Soa, Assert.Single(noData.Authority).Type);
        Assert.Equal("ns.dns.cluster.local", Assert.Single(apex.Answers).Data);
    }

    [Fact]
    public void Names_match_whatever_their_case_and_the_question_keeps_the_clients_spelling()
    {
        _index.UpsertService(Service("db", "10.96.0.10"));

        var response = Ask("Db.DEFAULT.svc.Cluster.Local", A);

        Assert.Equal(["10.96.0.10"], response.Addresses);
        Assert.Equal("Db.DEFAULT.svc.Cluster.Local", response.Questions[0].Name);
        Assert.Equal("Db.DEFAULT.svc.Cluster.Local", response.Answers[0].Name);
    }

    [Fact]
    public void An_ExternalName_service_is_a_CNAME()
    {
        var service = Service("ext", "");
        service.Spec.Type = "ExternalName";
        service.Spec.ExternalName = "example.com";
        _index.UpsertService(service);

        var answer = Assert.Single(Ask("ext.default.svc.cluster.local", A).Answers);

        Assert.Equal((Cname, "example.com"), (answer.Type, answer.Data));
    }

    [Fact]
    public void Names_outside_the_cluster_are_handed_to_the_forwarder()
    {
        var response = new byte[512];

        var answer = new ClusterDnsHandler(_index).Answer(Query("example.com", A), response, udp: true);
        var reverse = new ClusterDnsHandler(_index).Answer(Query("8.8.8.8.in-addr.arpa", Ptr), response, udp: true);

        Assert.Equal("example.com", answer.Forward?.Name);
        Assert.NotNull(reverse.Forward);
    }

    [Fact]
    public void A_UDP_answer_too_big_is_truncated_and_the_TCP_one_is_whole()
    {
        _index.UpsertService(Service("big", "None"));
        _index.UpsertSlice(Slice("big", "s", [.. Enumerable.Range(1, 60).Select(i => Endpoint($"10.88.1.{i}"))]));

        var udp = Ask("big.default.svc.cluster.local", A);
        var edns = Ask("big.default.svc.cluster.local", A, edns: true);
        var tcp = Ask("big.default.svc.cluster.local", A, udp: false);

        Assert.True(udp.Truncated);
        Assert.Empty(udp.Answers);
        Assert.False(edns.Truncated);
        Assert.Equal(60, edns.Answers.Count);
        Assert.Equal(Opt, Assert.Single(edns.Additional).Type);
        Assert.False(tcp.Truncated);
        Assert.Equal(60, tcp.Answers.Count);
    }
}
