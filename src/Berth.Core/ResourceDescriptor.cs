namespace Berth.Core;

/// <summary>
/// One served resource: its group/version/kind, plural and singular names, scope, short names, categories,
/// verbs and subresources, and the KubernetesClient model type that holds it. Discovery, OpenAPI, the
/// registry and storage keys are all derived from this one table (<see cref="ResourceCatalog"/>).
/// </summary>
public sealed record ResourceDescriptor(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    Type ModelType,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<SubresourceDescriptor> Subresources)
{
    public static readonly IReadOnlyList<string> AllVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>"apps/v1", or "v1" for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>"statefulsets.apps", or "pods" for the core group (the form upstream error messages use).</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>The storage key prefix, as upstream: /registry/&lt;group-or-core-plural&gt;/.</summary>
    public string KeyPrefix => Group.Length == 0 || Group == "apps" || Group == "policy" || Group == "storage.k8s.io"
        || Group == "coordination.k8s.io" || Group == "discovery.k8s.io"
        ? "/registry/" + Plural + "/"
        : "/registry/" + Group + "/" + Plural + "/";

    public string Key(string? ns, string name) => Namespaced ? KeyPrefix + ns + "/" + name : KeyPrefix + name;

    public string ListPrefix(string? ns) => Namespaced && !string.IsNullOrEmpty(ns) ? KeyPrefix + ns + "/" : KeyPrefix;
}
