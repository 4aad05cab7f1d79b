using System.Text.Json.Nodes;
using Berth.Core;

namespace Berth.Cli.Up;

/// <summary>One object to apply: its document, where it came from, and the resource it is.</summary>
internal sealed record Manifest(JsonObject Object, string Source, ResourceDescriptor Resource, string? Namespace, string Name)
{
    /// <summary>kubectl's way to name an object in output: <c>statefulset.apps/web</c>, <c>service/nginx</c>.</summary>
    public string DisplayName => (Resource.Group.Length == 0 ? Resource.Singular : Resource.Singular + "." + Resource.Group) + "/" + Name;

    /// <summary>The object's REST path, relative to the server root.</summary>
    public string Path => (Resource.Group.Length == 0 ? "api/" + Resource.Version : "apis/" + Resource.Group + "/" + Resource.Version)
        + (Resource.Namespaced ? "/namespaces/" + Uri.EscapeDataString(Namespace!) : "")
        + "/" + Resource.Plural + "/" + Uri.EscapeDataString(Name);
}
