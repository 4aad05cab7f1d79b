namespace Berth.ApiServer.Diagnostics;

/// <summary>
/// The label values upstream's apiserver_request_duration_seconds carries (k8s.io/apiserver/pkg/endpoints/metrics):
/// verb, dry_run, group, version, resource, subresource, scope; component is always "apiserver" here.
/// </summary>
internal readonly record struct RequestLabels(string Verb, string DryRun, string Group, string Version, string Resource, string Subresource,
    string Scope);
