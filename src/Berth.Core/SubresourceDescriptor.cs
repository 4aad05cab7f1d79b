namespace Berth.Core;

/// <summary>A subresource as aggregated discovery describes it (statefulsets/scale is autoscaling/v1 Scale).</summary>
public sealed record SubresourceDescriptor(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);
