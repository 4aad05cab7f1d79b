using Berth.Controllers.Runtime;
using k8s.Models;

namespace Berth.Node.Dns;

/// <summary>Feeds the <see cref="ClusterDnsIndex"/> from shared informers over Services, EndpointSlices and Pods.</summary>
internal static class ClusterDnsSource
{
    public static void Attach(InformerFactory informers, ClusterDnsIndex index)
    {
        informers.For<V1Service>().AddHandler(
            new InformerHandler<V1Service>(index.UpsertService, (_, s) => index.UpsertService(s), index.DeleteService));
        informers.For<V1EndpointSlice>().AddHandler(
            new InformerHandler<V1EndpointSlice>(index.UpsertSlice, (_, s) => index.UpsertSlice(s), index.DeleteSlice));
        informers.For<V1Pod>().AddHandler(new InformerHandler<V1Pod>(index.UpsertPod, (old, p) =>
        {
            // Most pod updates are status churn that changes nothing DNS serves.
            if (old.Status?.PodIP != p.Status?.PodIP || old.Status?.Phase != p.Status?.Phase
                || old.Spec?.Hostname != p.Spec?.Hostname || old.Spec?.Subdomain != p.Spec?.Subdomain)
            {
                index.UpsertPod(p);
            }
        }, index.DeletePod));
    }
}
